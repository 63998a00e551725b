/**
 * The project's custom search attributes: ONE definition list, used to
 * - register them on the embedded dev server (`--search-attribute` flags and the operator service),
 * - register them on a cluster (`toa server register-search-attributes`, docker-compose admin job),
 * - register them in workflow tests (`createTestEnv`),
 * - give workflows typed keys for `upsertSearchAttributes` / `typedSearchAttributes`.
 *
 * This module imports only `@temporalio/common`, so it is safe to import from workflow code
 * (the workflow bundle's sandbox). Registration (which needs a connection) lives in
 * `registerSearchAttributes.ts`.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import type { SearchAttributeKey } from '@temporalio/common/lib/search-attributes';

/** One custom search attribute: name as seen in the Temporal UI / visibility queries, and type. */
export interface ToaSearchAttributeDef<T extends SearchAttributeType = SearchAttributeType> {
  readonly name: string;
  readonly type: T;
  readonly description: string;
}

function def<T extends SearchAttributeType>(name: string, type: T, description: string): ToaSearchAttributeDef<T> {
  return { name, type, description };
}

/** The definition list. Add new attributes here only. */
export const TOA_SEARCH_ATTRIBUTE_DEFS = {
  sweepId: def('ToaSweepId', SearchAttributeType.KEYWORD, 'Sweep id (all workflows of one sweep share it)'),
  method: def('ToaMethod', SearchAttributeType.KEYWORD, 'Sampling method, e.g. toa, best-of-n'),
  budget: def('ToaBudget', SearchAttributeType.INT, 'Generation budget per prompt'),
  seed: def('ToaSeed', SearchAttributeType.INT, 'Random seed'),
  status: def('ToaStatus', SearchAttributeType.KEYWORD, 'Application-level status (running, done, failed, ...)'),
  bestReward: def('ToaBestReward', SearchAttributeType.DOUBLE, 'Best reward found so far'),
  generations: def('ToaGenerations', SearchAttributeType.INT, 'Generations used so far'),
  promptId: def('ToaPromptId', SearchAttributeType.KEYWORD, 'Prompt id (per-prompt workflows)'),
} as const;

type Defs = typeof TOA_SEARCH_ATTRIBUTE_DEFS;

/** Typed keys for `upsertSearchAttributes([{ key: ToaSearchAttributes.status, value: 'done' }])`. */
export const ToaSearchAttributes: { readonly [K in keyof Defs]: SearchAttributeKey<Defs[K]['type']> } = Object.freeze(
  Object.fromEntries(
    Object.entries(TOA_SEARCH_ATTRIBUTE_DEFS).map(([k, d]) => [k, defineSearchAttributeKey(d.name, d.type)]),
  ) as { [K in keyof Defs]: SearchAttributeKey<Defs[K]['type']> },
);

/** All keys as a list (e.g. for `TestWorkflowEnvironment.createLocal({ server: { searchAttributes } })`). */
export const TOA_SEARCH_ATTRIBUTE_KEYS: SearchAttributeKey<SearchAttributeType>[] = Object.values(ToaSearchAttributes);

/** All definitions as a list. */
export const TOA_SEARCH_ATTRIBUTE_LIST: ToaSearchAttributeDef[] = Object.values(TOA_SEARCH_ATTRIBUTE_DEFS);

const CLI_TYPE_NAMES: Record<SearchAttributeType, string> = {
  TEXT: 'Text',
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

/** Type name as the Temporal CLI spells it (`--search-attribute ToaBudget=Int`, `--type Int`). */
export function cliTypeName(type: SearchAttributeType): string {
  return CLI_TYPE_NAMES[type];
}

/** `['--search-attribute', 'ToaSweepId=Keyword', ...]` for `temporal server start-dev`. */
export function devServerSearchAttributeArgs(defs: readonly ToaSearchAttributeDef[] = TOA_SEARCH_ATTRIBUTE_LIST): string[] {
  return defs.flatMap((d) => ['--search-attribute', `${d.name}=${cliTypeName(d.type)}`]);
}

/**
 * Shell commands that register the attributes on a cluster with the Temporal CLI
 * (used in docs and the docker-compose admin job).
 */
export function cliRegistrationCommands(namespace = 'default', address = '$TEMPORAL_ADDRESS'): string[] {
  return TOA_SEARCH_ATTRIBUTE_LIST.map(
    (d) =>
      `temporal operator search-attribute create --address ${address} --namespace ${namespace} --name ${d.name} --type ${cliTypeName(d.type)}`,
  );
}

/**
 * Text of deploy/temporal/search-attributes.txt ("Name Type" per line), read by the
 * docker-compose admin job, which has the Temporal CLI but no Node. test/server keeps the file
 * equal to this.
 */
export function searchAttributesManifest(): string {
  return [
    '# Generated from src/server/searchAttributes.ts (searchAttributesManifest); do not edit by hand.',
    '# Name Type  (Temporal CLI type names)',
    ...TOA_SEARCH_ATTRIBUTE_LIST.map((d) => `${d.name} ${cliTypeName(d.type)}`),
    '',
  ].join('\n');
}

/** Values a workflow upserts; undefined and null are left out. */
export interface SearchAttributeValues {
  sweepId?: string;
  method?: string;
  budget?: number;
  seed?: number;
  status?: string;
  bestReward?: number | null;
  generations?: number;
  promptId?: string;
}

/** Typed search attribute pairs for `upsertSearchAttributes` / `typedSearchAttributes`. */
export function searchAttributeUpdates(v: SearchAttributeValues): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [];
  const add = <K extends keyof typeof ToaSearchAttributes>(k: K, value: unknown) => {
    if (value !== undefined && value !== null) pairs.push({ key: ToaSearchAttributes[k], value } as unknown as SearchAttributePair);
  };
  add('sweepId', v.sweepId);
  add('method', v.method);
  add('budget', v.budget);
  add('seed', v.seed);
  add('status', v.status);
  add('bestReward', v.bestReward);
  add('generations', v.generations);
  add('promptId', v.promptId);
  return pairs;
}
