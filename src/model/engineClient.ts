/**
 * Main-thread handle on the llama engine worker (engine.ts).
 *
 * The worker is started from an inline bootstrap that requires engine.js (compiled dist/) or
 * engine.ts (ts-jest, or any TypeScript-source run), transpiling the latter with the project's
 * `typescript` package, so the worker always runs the same code whatever loaded this module.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type {
  ChatMessage,
  ChoiceResult,
  EngineInfo,
  EngineInitOptions,
  EngineRequest,
  EngineResponse,
  EngineStats,
  PromptInfo,
  SamplingParams,
} from './types';

/** An engine failure; `code` is e.g. 'context_length_exceeded' or 'cancelled'. */
export class EngineCallError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'EngineCallError';
  }
}

const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const file = workerData.engineFile;
if (file.endsWith('.ts') && !require.extensions['.ts']) {
  const ts = require(workerData.typescriptPath);
  const fs = require('node:fs');
  require.extensions['.ts'] = function (module, filename) {
    const out = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.Node16,
        moduleResolution: ts.ModuleResolutionKind.Node16,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        inlineSourceMap: true,
      },
    });
    module._compile(out.outputText, filename);
  };
}
require(file).runEngineWorker();
`;

type RequestBody = EngineRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class EngineClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (res: EngineResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.ok) p.resolve(res.value);
      else p.reject(new EngineCallError(res.error.message, res.error.code));
    });
    const fail = (err: Error): void => {
      this.exited ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
    worker.on('exit', (code) => fail(new Error(`model engine worker exited (code ${code})`)));
  }

  /** Start the worker and load the model; resolves once the model is ready. */
  static async start(options: EngineInitOptions): Promise<{ client: EngineClient; info: EngineInfo }> {
    const ext = path.extname(__filename) === '.ts' ? '.ts' : '.js';
    const engineFile = path.join(__dirname, `engine${ext}`);
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { engineFile, typescriptPath: ext === '.ts' ? require.resolve('typescript') : undefined },
      stdout: false,
      stderr: false,
    });
    const client = new EngineClient(worker);
    try {
      const info = (await client.call({ op: 'init', options })) as EngineInfo;
      return { client, info };
    } catch (err) {
      await worker.terminate();
      throw err;
    }
  }

  call(body: RequestBody): Promise<unknown> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...body, id } as EngineRequest);
    });
  }

  prompt(messages: ChatMessage[]): Promise<PromptInfo> {
    return this.call({ op: 'prompt', messages }) as Promise<PromptInfo>;
  }

  stats(): Promise<EngineStats> {
    return this.call({ op: 'stats' }) as Promise<EngineStats>;
  }

  /** Generate one choice. Aborting `signal` cancels it (queued or running) with code 'cancelled'. */
  generate(messages: ChatMessage[], params: SamplingParams, signal?: AbortSignal): Promise<ChoiceResult> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<ChoiceResult>((resolve, reject) => {
      const onAbort = (): void => this.worker.postMessage({ id: this.nextId++, op: 'cancel', target: id } as EngineRequest);
      this.pending.set(id, {
        resolve: (v) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(v as ChoiceResult);
        },
        reject: (e) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.worker.postMessage({ op: 'generate', messages, params, id } as EngineRequest);
      if (signal?.aborted) onAbort();
    });
  }

  async close(): Promise<void> {
    if (!this.exited) {
      try {
        await Promise.race([this.call({ op: 'dispose' }), new Promise((r) => setTimeout(r, 5000).unref())]);
      } catch {
        // the worker is going away anyway
      }
    }
    await this.worker.terminate();
  }
}
