/**
 * The embedded Temporal server: `temporal server start-dev` on a SQLite file under .toa/, so
 * sweeps survive restarts of everything. One file per job: options and arguments, starting and
 * health, the state file, the start lock, finding or starting (`ensureServer`), the foreground
 * runner (`toa server start`).
 *
 * State files (under $TOA_HOME, default ./.toa):
 *   temporal.sqlite        the server's database (plus -wal / -shm files in WAL mode)
 *   temporal-server.log    server stdout/stderr
 *   server.json            { pid, address, uiUrl, namespace, dbFile, logFile, ... } of the running embedded server
 */
export { DEFAULT_SQLITE_PRAGMAS, devServerArgs, type DevServerHandle, type DevServerOptions } from './options';
export { startDevServer } from './start';
export { ensureServer, type EnsuredServer } from './ensure';
export { readServerState, serverStateFile, stopEmbeddedServer, type EmbeddedServerState } from './state';
export { runServerForeground } from './foreground';
export { isPortOpen, isProcessAlive, tailFile } from './process';
