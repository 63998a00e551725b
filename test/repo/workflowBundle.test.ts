/**
 * What the workflow bundle carries. The sandbox evaluates the bundle's modules again for every
 * workflow execution, so a heavy library there is paid per prompt: zod once cost ~18% of the
 * workflow thread (docs/benchmarks.md). The import rules (boundaries.test.ts) keep zod out of
 * src/search at run time; this checks the bundle webpack actually builds.
 */
import { workflowBundle } from '../../src/worker/run';

/** Module paths webpack records in a development bundle (`./node_modules/<pkg>/...`). */
function bundledPackages(code: string): Set<string> {
  const out = new Set<string>();
  for (const m of code.matchAll(/"\.\/node_modules\/((?:@[^/"]+\/)?[^/"]+)\//g)) out.add(m[1]!);
  return out;
}

test('the check sees a bundled package (it can fail)', () => {
  const code = '/***/ "./node_modules/zod/index.cjs":\n/***/ "./node_modules/@temporalio/workflow/lib/index.js":';
  expect([...bundledPackages(code)].sort()).toEqual(['@temporalio/workflow', 'zod']);
});

test('the workflow bundle holds the Temporal workflow SDK and no zod', async () => {
  const { code } = await workflowBundle();
  const packages = bundledPackages(code);
  expect(packages.has('@temporalio/workflow')).toBe(true);
  expect(packages.has('zod')).toBe(false);
}, 120_000);
