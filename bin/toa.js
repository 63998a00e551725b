#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm ci` through the prepare script).
require('../dist/client/main.js').main(process.argv).catch((err) => {
  process.stderr.write(`toa: ${err && err.message ? err.message : String(err)}\n`);
  process.exit(1);
});
