/** Test doubles and helpers for activity, workflow, e2e tests and benchmarks. */
export * from './fakeOpenAI';
export * from './fakeReward';
export * from './tmp';
export * from './agents';
export * from './failures';
