/**
 * Temporal server management for toa: the embedded dev server, cluster connection settings and
 * the project's custom search attributes. (The workflow-test helper is in ./testEnv.)
 */
export { resolveTemporalCli, findTemporalCli, TemporalCliNotFoundError, projectRoot, stateDir } from './cli-path';
export {
  startDevServer,
  ensureServer,
  stopEmbeddedServer,
  runServerForeground,
  readServerState,
  serverStateFile,
  devServerArgs,
  DEFAULT_SQLITE_PRAGMAS,
  type DevServerOptions,
  type DevServerHandle,
  type EnsuredServer,
  type EmbeddedServerState,
} from './embedded';
export { connectClient } from './client';
export { targetFromEnv, tlsFromEnv, connectionOptions, describeTarget, connectTo, type TemporalTarget } from './connection';
export {
  registerSearchAttributes,
  missingSearchAttributes,
  type RegisterSearchAttributesResult,
} from './registerSearchAttributes';
export {
  ToaSearchAttributes,
  TOA_SEARCH_ATTRIBUTE_DEFS,
  TOA_SEARCH_ATTRIBUTE_KEYS,
  TOA_SEARCH_ATTRIBUTE_LIST,
  cliTypeName,
  cliRegistrationCommands,
  devServerSearchAttributeArgs,
  searchAttributesManifest,
  type ToaSearchAttributeDef,
} from '../common/searchAttributes';
