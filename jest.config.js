/**
 * Jest runs TypeScript through ts-jest without type-checking (tsc --noEmit does that once, faster).
 * test/cluster (a real Temporal server on PostgreSQL) has its own config, jest.cluster.config.js,
 * run by `npm run test:cluster`; the default run leaves it out to stay fast.
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  rootDir: '.',
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/cluster/'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/setup.ts'],
};
