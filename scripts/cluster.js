#!/usr/bin/env node
'use strict';
/**
 * A production-like Temporal cluster on this machine without Docker (docs/deployment.md):
 *
 *   node scripts/cluster.js up [--dir F] [--port N] [--pg-port N] ...   # idempotent
 *   node scripts/cluster.js status | env | down [--delete-data]
 *   (npm run cluster -- <command>)
 *
 * Builds dist/ when stale (the work is in src/cluster/, compiled to dist/cluster/), then runs
 * dist/cluster/cli.js. `up` builds the Temporal server first when it is missing
 * (scripts/temporal-server.js).
 */
const path = require('node:path');

try {
  require('./setup').ensureBuilt({ quiet: true });
} catch (err) {
  process.stderr.write(`cluster: ${err.message}\n`);
  process.exit(1);
}
require(path.join(__dirname, '..', 'dist', 'cluster', 'cli.js'))
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`cluster: ${err && err.message ? err.message : String(err)}\n`);
    process.exit(1);
  });
