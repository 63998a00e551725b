/**
 * The search core's entry point. Pure and deterministic (no I/O, no clock, no Math.random):
 * safe inside the Temporal workflow sandbox. Methods and their options: ./methods.
 */
export * from './types';
export { createPrng, deriveSeed, promptSearchSeed, shuffle } from './prng';
export { createToaStrategy, resolveWidth } from './toa/strategy';
export type { ToaOptions, ToaStrategy, WidthRule } from './toa/strategy';
export { normalizeReward } from './toa/backup';
export { createRandomStrategy } from './baselines/random';
export { createPrsStrategy } from './baselines/prs';
export { createEnsembleStrategy } from './baselines/ensemble';
export { createSequentialStrategy, sequentialRounds } from './baselines/sequential';
export { createMoaStrategy } from './baselines/moa';
export { anytimeCurve, best } from './result';
export {
  METHODS,
  createStrategy,
  methodDefinition,
  methodLabelOf,
  type MethodDefinition,
  type MethodSpec,
  type MethodSpecOf,
  type MethodType,
  type SearchContext,
} from './methods';
export { runSearch, replaySearch, TracedSearch, NEXT } from './driver';
export type { DriverHooks, SearchRun, TraceStep } from './driver';
