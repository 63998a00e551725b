/** Jest runs TypeScript through ts-jest without type-checking (tsc --noEmit does that once, faster). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  rootDir: '.',
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { isolatedModules: true, diagnostics: false }] },
  testTimeout: 120000,
  setupFiles: ['<rootDir>/test/setup.ts'],
};
