/**
 * A bridge to the ESM-only libraries this project uses for files, run in a worker thread.
 *
 * vega, vega-lite (charts) and hyparquet-writer / hyparquet (Parquet) are published as ES
 * modules only. This package compiles to CommonJS, and under Jest a dynamic `import()` inside
 * the test VM throws (no --experimental-vm-modules). A worker thread is a plain Node context
 * where `import()` always works, so the same code runs from ts-jest, from dist/ and from the
 * CLI. The worker code is plain JavaScript (no TypeScript to compile) and resolves each
 * package from this file's folder, so it does not depend on the current directory.
 *
 * Everything that crosses the thread boundary is structured-clone data: specs, column arrays
 * (BigInt included), SVG strings and ArrayBuffers.
 */
import { Worker } from 'node:worker_threads';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const { pathToFileURL } = require('node:url');
const req = createRequire(workerData.base);
const cache = new Map();
const writers = new Map();
let nextWriter = 1;
async function load(name) {
  if (!cache.has(name)) cache.set(name, import(pathToFileURL(req.resolve(name)).href));
  return cache.get(name);
}
const ops = {
  async svg({ spec }) {
    const vl = await load('vega-lite');
    const vega = await load('vega');
    const compiled = vl.compile(spec).spec;
    const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
    const svg = await view.toSVG();
    view.finalize();
    return svg;
  },
  async writeParquet({ columnData, schema, kvMetadata }) {
    const { parquetWriteBuffer } = await load('hyparquet-writer');
    const buf = parquetWriteBuffer({ columnData, schema, kvMetadata, createdBy: 'toa-temporal export' });
    return buf;
  },
  // A Parquet file written a row group at a time: only the group being encoded is in memory.
  async parquetOpen({ file, schema, kvMetadata }) {
    const { ParquetWriter, fileWriter } = await load('hyparquet-writer');
    const id = nextWriter++;
    writers.set(id, new ParquetWriter({ writer: fileWriter(file), schema, kvMetadata, createdBy: 'toa-temporal export' }));
    return id;
  },
  async parquetAppend({ id, columnData }) {
    const rows = columnData[0] ? columnData[0].data.length : 0;
    if (rows > 0) await writers.get(id).write({ columnData, rowGroupSize: rows });
    return rows;
  },
  async parquetClose({ id }) {
    const pq = writers.get(id);
    writers.delete(id);
    await pq.finish();
    return true;
  },
  async readParquet({ buffer }) {
    const { parquetReadObjects, parquetMetadata, parquetSchema } = await load('hyparquet');
    const rows = await parquetReadObjects({ file: buffer });
    const names = parquetSchema(parquetMetadata(buffer)).children.map((c) => c.element.name);
    return { rows, columns: names };
  },
};
parentPort.on('message', async ({ id, op, args }) => {
  try {
    const value = await ops[op](args);
    const transfer = value instanceof ArrayBuffer ? [value] : [];
    parentPort.postMessage({ id, ok: true, value }, transfer);
  } catch (err) {
    parentPort.postMessage({ id, ok: false, message: err && err.stack ? err.stack : String(err) });
  }
});
`;

/** One parquet schema element (see the parquet-format thrift definition). */
export interface ParquetSchemaElement {
  name: string;
  type?: 'BOOLEAN' | 'INT32' | 'INT64' | 'FLOAT' | 'DOUBLE' | 'BYTE_ARRAY';
  repetition_type?: 'REQUIRED' | 'OPTIONAL' | 'REPEATED';
  converted_type?: 'UTF8' | 'LIST' | 'JSON';
  num_children?: number;
}

export interface ParquetColumn {
  name: string;
  data: unknown[];
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };

/** A worker running the ESM libraries; `close()` it when done (it keeps the process alive). */
export class EsmBridge {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new Error(m.message ?? 'ESM worker failed'));
    });
    const fail = (err: Error): void => {
      this.failure ??= err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(err instanceof Error ? err : new Error(String(err))));
    worker.on('exit', (code) => fail(new Error(`ESM worker exited (code ${code})`)));
  }

  static start(): EsmBridge {
    return new EsmBridge(new Worker(WORKER_SOURCE, { eval: true, workerData: { base: __filename } }));
  }

  private call<T>(op: string, args: unknown, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage({ id, op, args }, transfer);
    });
  }

  /** Compiles a Vega-Lite spec and renders it to an SVG string (headless, no canvas). */
  vegaLiteToSvg(spec: object): Promise<string> {
    return this.call<string>('svg', { spec });
  }

  /** Writes columns with an explicit schema (root element first) to Parquet bytes. */
  async writeParquet(
    columnData: ParquetColumn[],
    schema: ParquetSchemaElement[],
    kvMetadata?: Array<{ key: string; value: string }>,
  ): Promise<Buffer> {
    const buf = await this.call<ArrayBuffer>('writeParquet', { columnData, schema, kvMetadata });
    return Buffer.from(buf);
  }

  /**
   * Opens a Parquet file for writing a row group at a time (appendParquet), finished by
   * closeParquet: memory holds one row group, not the file.
   */
  openParquet(file: string, schema: ParquetSchemaElement[], kvMetadata?: Array<{ key: string; value: string }>): Promise<number> {
    return this.call<number>('parquetOpen', { file, schema, kvMetadata });
  }

  /** Writes one row group (the columns' rows) to a file opened with openParquet. */
  appendParquet(id: number, columnData: ParquetColumn[]): Promise<number> {
    return this.call<number>('parquetAppend', { id, columnData });
  }

  /** Writes the footer of a file opened with openParquet. */
  async closeParquet(id: number): Promise<void> {
    await this.call<boolean>('parquetClose', { id });
  }

  /** Reads Parquet bytes back into row objects (used by tests and checks). */
  async readParquet(bytes: Uint8Array): Promise<{ rows: Array<Record<string, unknown>>; columns: string[] }> {
    const copy = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    return this.call('readParquet', { buffer: copy }, [copy]);
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}

/** Runs `fn` with a fresh bridge and always closes it. */
export async function withEsm<T>(fn: (esm: EsmBridge) => Promise<T>): Promise<T> {
  const esm = EsmBridge.start();
  try {
    return await fn(esm);
  } finally {
    await esm.close();
  }
}
