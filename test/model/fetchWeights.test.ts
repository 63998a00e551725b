/** scripts/fetch-weights.js: catalogue, skip-when-valid, and user-supplied GGUF checks. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

 
const fw = require('../../scripts/fetch-weights.js') as {
  ensureWeights(o: { quiet?: boolean }): { default: string; models: Record<string, string>; dir: string };
  checkGguf(file: string, sha?: string): { path: string; sha256: string };
  sha256File(file: string): string;
  MODELS: Record<string, { file: string; sha256: string; instruct: boolean }>;
  DEFAULT_MODEL: string;
};

test('the catalogue pins sha256 for every model; only instruct models are defaults', () => {
  for (const spec of Object.values(fw.MODELS)) expect(spec.sha256).toMatch(/^[0-9a-f]{64}$/);
  expect(fw.MODELS[fw.DEFAULT_MODEL]!.instruct).toBe(true);
  expect(fw.MODELS['gemma3-270m']!.instruct).toBe(false);
});

test('ensureWeights returns the verified default file and is a no-op when present', () => {
  const first = fw.ensureWeights({ quiet: true });
  expect(path.basename(first.default)).toBe('SmolLM2-135M-Instruct.Q4_1.gguf');
  expect(fs.statSync(first.default).size).toBe(98362432);
  const t0 = Date.now();
  const again = fw.ensureWeights({ quiet: true });
  expect(again.default).toBe(first.default);
  expect(Date.now() - t0).toBeLessThan(2000); // stamped: no re-download, no re-hash
});

test('checkGguf accepts a GGUF file, verifies an expected sha256, and rejects non-GGUF files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'toa-gguf-'));
  try {
    const good = path.join(dir, 'x.gguf');
    fs.writeFileSync(good, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(12)]));
    const info = fw.checkGguf(good);
    expect(info.sha256).toBe(fw.sha256File(good));
    expect(() => fw.checkGguf(good, '0'.repeat(64))).toThrow(/sha256/);
    const bad = path.join(dir, 'y.gguf');
    fs.writeFileSync(bad, 'not a model');
    expect(() => fw.checkGguf(bad)).toThrow(/not a GGUF/);
    expect(() => fw.checkGguf(path.join(dir, 'missing.gguf'))).toThrow(/does not exist/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
