/** TEST DOUBLE: fake OpenAI-compatible server (implementation in src/testing/fakeOpenAI.ts). */
export * from '../../src/testing/fakeOpenAI';
