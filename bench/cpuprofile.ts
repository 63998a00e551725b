/**
 * Summarises V8 .cpuprofile files (node --cpu-prof): self time by function and by package, to
 * say where a worker's CPU goes. `node dist-bench/bench/cpuprofile.js <dir-or-file>...`
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[]; startTime: number; endTime: number }

function files(args: string[]): string[] {
  return args.flatMap((a) => (fs.statSync(a).isDirectory() ? fs.readdirSync(a).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(a, f)) : [a]));
}

function pkgOf(url: string): string {
  if (!url) return '(native / idle / gc)';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith('node:')) return 'node internals';
  if (url.includes('/dist-bench/src/') || url.includes('/dist/')) return 'toa (project code)';
  return url.replace(/^file:\/\//, '').split('/').slice(-2).join('/');
}

export function summarise(file: string) {
  const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const fn = new Map<string, number>();
  const pkg = new Map<string, number>();
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    const key = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : `${name} ${pkgOf(n.callFrame.url)}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const pk = ['(idle)', '(program)', '(garbage collector)'].includes(name) ? name : pkgOf(n.callFrame.url);
    pkg.set(pk, (pkg.get(pk) ?? 0) + us);
  }
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, us]) => ({ name, ms: Math.round(us / 1000), pct: Math.round((1000 * us) / total) / 10 }));
  return { file: path.basename(file), wallMs: Math.round((p.endTime - p.startTime) / 1000), byPackage: top(pkg, 12), byFunction: top(fn, 15) };
}

if (require.main === module) {
  for (const f of files(process.argv.slice(2))) process.stdout.write(JSON.stringify(summarise(f), null, 2) + '\n');
}
