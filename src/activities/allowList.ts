/**
 * What a worker will do for whoever started a workflow. Anyone who can reach the Temporal
 * frontend can start `promptSearch` or `sweep` with any input, and the input names endpoints,
 * key variables and paths. So a worker calls only the endpoints, sends only the key variables to
 * them, and reads and writes only under the folders that ITS OWN configuration allows: the sweep
 * files it was started with (`toa worker -c`), plus an explicit allow-list (`--allow-endpoint`,
 * `--allow-key`, `--allow-path`). Anything else fails non-retryably as NotAllowed, naming what was
 * refused and how to allow it, before any request is made (docs/deployment.md, "Trust model").
 *
 * Key variables are granted per endpoint: a variable configured for one endpoint is never sent to
 * another, so an allowed third-party reward URL cannot receive the model provider's key.
 * The agent queue's name is not a boundary (its 8-hex-digit FNV hash can be forged): the check
 * is made in the play itself, against the agent and reward found in the play's context.
 */
import { promises as fsp } from 'node:fs';
import * as path from 'node:path';
import { failure } from '../common/failures';
import type { AgentConfig } from '../config/schema';
import { safeUrl } from '../http/failures';
import { chatCompletionsUrl } from '../http/openaiChat';
import { rewardEndpoints, type RewardSpec } from '../rewards';

/** Calls under `prefix` (same origin, path at or below) are allowed, sending one of `keyEnvs` or no key. */
export interface EndpointGrant {
  prefix: string;
  keyEnvs: string[];
  /** Where the grant comes from, for messages ("sweep file /x/a.yaml", "--allow-endpoint"). */
  source: string;
}

/** `read`: files at or below `root` may be read; `write`: also written (folders for records and stores). */
export interface PathGrant {
  root: string;
  access: 'read' | 'write';
  source: string;
}

/** A worker's allow-list: plain data (it crosses process boundaries in the benchmarks). */
export interface AllowList {
  endpoints: EndpointGrant[];
  paths: PathGrant[];
}

/** The grants of what a configuration uses: its agents, its reward, the paths it reads and writes. */
export function allowListFor(parts: {
  agents?: AgentConfig[];
  reward?: RewardSpec;
  read?: string[];
  write?: string[];
  source: string;
}): AllowList {
  const endpoints: EndpointGrant[] = [];
  const grant = (prefix: string, keyEnv: string | undefined) =>
    endpoints.push({ prefix, keyEnvs: keyEnv ? [keyEnv] : [], source: parts.source });
  for (const a of parts.agents ?? []) grant(a.baseURL, a.apiKeyEnv);
  for (const r of parts.reward ? rewardEndpoints(parts.reward) : []) grant(r.url, r.apiKeyEnv);
  const paths: PathGrant[] = [
    ...(parts.read ?? []).map((root) => ({ root: path.resolve(root), access: 'read' as const, source: parts.source })),
    ...(parts.write ?? []).map((root) => ({ root: path.resolve(root), access: 'write' as const, source: parts.source })),
  ];
  return { endpoints, paths };
}

/** What a sweep file uses: its agents and reward, its dataset (read) and its output folder (records, store). */
export function allowListOfSweep(loaded: {
  file: string;
  config: { agents: AgentConfig[]; reward: RewardSpec };
  datasetPath: string;
  outputDir: string;
}): AllowList {
  return allowListFor({
    agents: loaded.config.agents,
    reward: loaded.config.reward,
    read: [loaded.datasetPath],
    write: [loaded.outputDir],
    source: `sweep file ${loaded.file}`,
  });
}

export function mergeAllowLists(...lists: AllowList[]): AllowList {
  return { endpoints: lists.flatMap((l) => l.endpoints), paths: lists.flatMap((l) => l.paths) };
}

const KEY_VARIABLE = /^[A-Z_][A-Z0-9_]*$/;

/**
 * The explicit allow-list of `toa worker` flags. Throws an Error naming the flag for a bad value.
 *   endpoints: URL prefixes called without a key;
 *   keys:      `VAR=<url-prefix>`: the key in $VAR may be sent to endpoints under the prefix;
 *   paths:     folders where datasets are read and records and stores written.
 */
export function explicitAllowList(flags: { endpoints?: string[]; keys?: string[]; paths?: string[] }): AllowList {
  const endpoints: EndpointGrant[] = [];
  for (const prefix of flags.endpoints ?? []) {
    if (!httpUrl(prefix))
      throw new Error(
        `--allow-endpoint ${JSON.stringify(prefix)}: expected an http(s) URL prefix, e.g. https://api.openai.com/v1`,
      );
    endpoints.push({ prefix, keyEnvs: [], source: '--allow-endpoint' });
  }
  for (const flag of flags.keys ?? []) {
    const eq = flag.indexOf('=');
    const name = flag.slice(0, Math.max(0, eq));
    const prefix = flag.slice(eq + 1);
    if (eq < 0 || !KEY_VARIABLE.test(name) || !httpUrl(prefix)) {
      throw new Error(
        `--allow-key ${JSON.stringify(flag)}: expected VAR=<url-prefix>, e.g. OPENAI_API_KEY=https://api.openai.com/v1`,
      );
    }
    endpoints.push({ prefix, keyEnvs: [name], source: '--allow-key' });
  }
  const paths = (flags.paths ?? []).map((p) => {
    if (p.trim() === '') throw new Error('--allow-path: expected a folder');
    return { root: path.resolve(p), access: 'write' as const, source: '--allow-path' };
  });
  return { endpoints, paths };
}

function httpUrl(s: string): URL | undefined {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined;
  } catch {
    return undefined;
  }
}

/** Same scheme, host and port, and a path at or below the prefix's (segment by segment). Query and fragment are ignored. */
export function urlUnder(prefix: string, url: string): boolean {
  const p = httpUrl(prefix);
  const u = httpUrl(url);
  if (!p || !u || p.origin !== u.origin) return false;
  const base = p.pathname.replace(/\/+$/, '');
  return base === '' || u.pathname === base || u.pathname.startsWith(`${base}/`);
}

/** A short list for messages: the first few entries and how many more. */
function listed(items: string[]): string {
  const unique = [...new Set(items)];
  if (unique.length === 0) return 'none';
  return unique.length <= 4 ? unique.join(', ') : `${unique.slice(0, 4).join(', ')} and ${unique.length - 4} more`;
}

const HOW = 'start the worker with -c <the sweep file that uses it>, or';

/**
 * Throws NotAllowed unless a grant covers a call to `url` sending the key in `keyEnv` (if any).
 * `what` names the caller in the message ("agent \"a\" (model m)", "reward http").
 */
export function checkEndpoint(allow: AllowList, what: string, url: string, keyEnv: string | undefined): void {
  const covering = allow.endpoints.filter((g) => urlUnder(g.prefix, url));
  const shown = safeUrl(url);
  if (covering.length === 0) {
    throw failure(
      'NotAllowed',
      `${what}: ${shown} is not an endpoint this worker may call (allowed: ${listed(allow.endpoints.map((g) => safeUrl(g.prefix)))}); ` +
        `to allow it, ${HOW} --allow-${keyEnv ? `key ${keyEnv}=` : 'endpoint '}${shown}`,
    );
  }
  if (keyEnv && !covering.some((g) => g.keyEnvs.includes(keyEnv))) {
    const forKey = allow.endpoints.filter((g) => g.keyEnvs.includes(keyEnv)).map((g) => safeUrl(g.prefix));
    const sentThere = covering.flatMap((g) => g.keyEnvs);
    throw failure(
      'NotAllowed',
      `${what}: this worker does not send the key variable ${keyEnv} to ${shown} ` +
        `(${forKey.length === 0 ? `${keyEnv} is configured for no endpoint` : `${keyEnv} is configured for ${listed(forKey)} only`}; ` +
        `key variables it sends there: ${listed(sentThere)}); to allow it, ${HOW} --allow-key ${keyEnv}=${shown}`,
    );
  }
}

/** Checks a play's whole spend before its first request: the agent's endpoint and key, then every reward endpoint and key. */
export function checkPlay(allow: AllowList, agent: AgentConfig, reward: RewardSpec): void {
  checkEndpoint(allow, `agent "${agent.name}" (model ${agent.model})`, chatCompletionsUrl(agent.baseURL), agent.apiKeyEnv);
  for (const r of rewardEndpoints(reward)) checkEndpoint(allow, `reward ${reward.type}`, r.url, r.apiKeyEnv);
}

/**
 * Throws NotAllowed unless `p` lies at or below a granted root (for `write`: a write grant),
 * comparing physical paths: symlinks are resolved on both sides, so a link inside an allowed
 * folder that points outside it does not count as inside. `p` must be absolute and contain no
 * `..` segment (toa's inputs never do), so the path checked is the path that will be opened.
 * `what` names it in the message ("the records folder").
 */
export async function checkPath(allow: AllowList, what: string, p: string, access: 'read' | 'write'): Promise<void> {
  if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) {
    throw failure('NotAllowed', `${what} ${JSON.stringify(p)}: not an absolute path; workers only open absolute paths`);
  }
  if (p.split(/[\\/]+/).includes('..')) {
    throw failure('NotAllowed', `${what} ${p}: contains a ".." segment; workers only open normalized absolute paths`);
  }
  const grants = allow.paths.filter((g) => access === 'read' || g.access === 'write');
  const real = await physicalPath(what, path.normalize(p));
  for (const g of grants) {
    const root = await physicalPath('allowed folder', g.root);
    if (real === root || real.startsWith(root.endsWith(path.sep) ? root : `${root}${path.sep}`)) return;
  }
  throw failure(
    'NotAllowed',
    `${what} ${p} is outside the paths this worker may ${access} (${listed(grants.map((g) => g.root))}); ` +
      `to allow it, ${HOW} --allow-path <a folder containing it>`,
  );
}

/**
 * Resolutions of existing paths, kept for a few seconds: every play checks the same store root
 * and grants, and resolving them is a realpath each (lstat per component). A link swapped within
 * that window needs write access to the worker's own folders, outside the threat model.
 */
const RESOLVED_TTL_MS = 5000;
const resolved = new Map<string, { real: string; until: number }>();

/** The path with every symlink resolved: realpath of its deepest existing ancestor, plus the rest. */
async function physicalPath(what: string, p: string): Promise<string> {
  const now = Date.now();
  const known = resolved.get(p);
  if (known && known.until > now) return known.real;
  const real = await resolvePhysical(what, p);
  if (resolved.size > 1000) resolved.clear();
  resolved.set(p, { real, until: now + RESOLVED_TTL_MS });
  return real;
}

async function resolvePhysical(what: string, p: string): Promise<string> {
  const rest: string[] = [];
  for (let head = p; ;) {
    try {
      return path.join(await fsp.realpath(head), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(head);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === head) {
        throw failure('NotAllowed', `${what} ${p}: cannot resolve it to check it is allowed (${code ?? (err as Error).message})`);
      }
      rest.push(path.basename(head));
      head = parent;
    }
  }
}
