/** TEST DOUBLE: fake http reward server (implementation in src/testing/fakeReward.ts). */
export * from '../../src/testing/fakeReward';
