/**
 * The Temporal server and SQL tool binaries of the pinned version (deploy/temporal/VERSION),
 * built by scripts/temporal-server.js into tools/temporal-server/<version>/. That script is
 * plain CommonJS because `node scripts/setup.js --for-cluster` runs it before TypeScript is
 * built; this module loads the same script so there is one implementation of "where and how".
 */
import * as path from 'node:path';
import { projectRoot } from '../server/cli-path';

export interface TemporalServerTools {
  version: string;
  dir: string;
  /** `server` binary (go.temporal.io/server/cmd/server). */
  server: string;
  /** `temporal-sql-tool` binary (go.temporal.io/server/cmd/tools/sql). */
  sqlTool: string;
  /** The module's config/development-postgres12.yaml, from which the cluster's config is derived. */
  baseConfig: string;
  /** The module's schema/postgresql/v12 (temporal/ and visibility/ with versioned/ inside). */
  schemaDir: string;
}

interface ToolsScript {
  temporalServerVersion(): string;
  toolsLayout(version?: string): TemporalServerTools;
  ensureTemporalServer(opts?: { quiet?: boolean }): TemporalServerTools;
  temporalServerProblem(): string | null;
}

function script(): ToolsScript {
  return require(path.join(projectRoot(), 'scripts', 'temporal-server.js')) as ToolsScript;
}

/** The pinned Temporal server version ("1.31.0"). */
export function temporalServerVersion(): string {
  return script().temporalServerVersion();
}

/** The binaries, building them first when missing (`go install`; throws naming what is missing). */
export function ensureTemporalServerTools(opts: { quiet?: boolean } = {}): TemporalServerTools {
  return script().ensureTemporalServer(opts);
}

/** Why the binaries cannot be had (not built and no Go to build them), or null. Cheap: builds nothing. */
export function temporalServerProblem(): string | null {
  return script().temporalServerProblem();
}
