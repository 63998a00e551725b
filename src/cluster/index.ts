/** The local production-like cluster: Temporal server + PostgreSQL as plain processes (docs/deployment.md). */
export {
  LocalCluster,
  defaultClusterDir,
  preflight,
  type LocalClusterOptions,
  type ClusterInfo,
  type UpResult,
  type GivenPorts,
  type ClusterPorts,
} from './localCluster';
export { deriveTemporalConfig, type DerivedConfigOptions } from './temporalConfig';
export { findPostgres, postgresOsUser, LocalPostgres, type PostgresBinaries, type PostgresOsUser } from './postgres';
export { ensureTemporalServerTools, temporalServerProblem, temporalServerVersion, type TemporalServerTools } from './serverTools';
export { serverLogSummary } from './temporalServer';
