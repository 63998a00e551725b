/** TEST DOUBLES (fake OpenAI-compatible server, fake reward server). See README.md in this folder. */
export * from './fakeOpenAI';
export * from './fakeReward';
export { FaultPlan, hashUnit, qualityTokens, seededRng, type ControlClient, type FaultRule, type Latency } from './common';
export { freePort } from './common';
