/**
 * Cluster tests: test/cluster against the local production-like cluster (src/cluster: Temporal
 * server built from source + PostgreSQL), with real worker processes. `npm run test:cluster`.
 * globalSetup brings one cluster up for the run (in a temp folder, or in $TOA_CLUSTER_DIR, which
 * is then reused and left running); globalTeardown stops and deletes the temp one.
 */
const base = require('./jest.config.js');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/cluster'],
  testPathIgnorePatterns: ['/node_modules/'],
  globalSetup: '<rootDir>/test/cluster/globalSetup.ts',
  globalTeardown: '<rootDir>/test/cluster/globalTeardown.ts',
  testTimeout: 300000,
};
