/**
 * The Temporal server settings toa runs with, ONE list for every server it starts or ships: the
 * embedded dev server (`--dynamic-config-value` flags), the local cluster and docker-compose
 * (deploy/temporal/dynamicconfig/toa.yaml, generated from this list: test/deploy checks it).
 */
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { stringify } from 'yaml';

export interface ServerSetting {
  key: string;
  value: number | boolean | string;
  /** Why toa sets it (written into the YAML file as a comment). */
  why: string;
}

export const SERVER_SETTINGS: readonly ServerSetting[] = [
  {
    key: 'limit.maxIDLength',
    value: 255,
    why: 'Workflow ids embed sweep and prompt ids; toa config check rejects longer ones before any spend (src/config/limits.ts).',
  },
  {
    key: 'system.forceSearchAttributesCacheRefreshOnRead',
    value: true,
    why: 'New search attributes are usable right after registration (a small cluster: cheap).',
  },
  {
    key: 'frontend.namespaceRPS',
    value: 2400,
    why: 'Sweeps fan out many child workflows; keep the per-namespace request rate comfortably above that.',
  },
  {
    key: 'history.transferProcessorMaxPollRPS',
    value: 1000,
    why:
      'Every activity and workflow task is handed to matching through the transfer queue, read by default at most 20 times a ' +
      'second per shard: each play then waits about 40 ms twice (measured: a no-op activity round trip took 77 ms at the ' +
      'default, 10 ms at 1000). Reads still batch under load.',
  },
];

/** `{key: value}` of the settings, e.g. for `temporal server start-dev --dynamic-config-value`. */
export function serverDynamicConfig(): Record<string, number | boolean | string> {
  return Object.fromEntries(SERVER_SETTINGS.map((s) => [s.key, s.value]));
}

/** The text of deploy/temporal/dynamicconfig/toa.yaml. */
export function dynamicConfigYaml(): string {
  const lines = [
    '# Dynamic config of the Temporal servers toa ships: docker-compose and the local cluster (npm run cluster).',
    '# Generated from src/server/serverTuning.ts (the embedded dev server gets the same values as flags);',
    '# test/deploy checks this file against it.',
  ];
  for (const s of SERVER_SETTINGS) {
    lines.push(...wrap(s.why, 98).map((l) => `# ${l}`));
    lines.push(stringify({ [s.key]: [{ value: s.value, constraints: {} }] }, { flowCollectionPadding: false }).trimEnd());
  }
  return `${lines.join('\n')}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out;
}

if (require.main === module) {
  // `npm run generate`: rewrites deploy/temporal/dynamicconfig/toa.yaml from the list above.
  const file = path.join(__dirname, '..', '..', 'deploy', 'temporal', 'dynamicconfig', 'toa.yaml');
  writeFileSync(file, dynamicConfigYaml());
  process.stdout.write(`${path.relative(process.cwd(), file)}: regenerated\n`);
}
