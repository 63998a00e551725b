/**
 * The llama engine: loads one GGUF model with node-llama-cpp (CPU only, prebuilt binary, never
 * builds or downloads anything) and generates chat completions on a pool of context sequences.
 *
 * It runs inside a worker thread started by engineClient.ts. Two reasons:
 *  - node-llama-cpp is ESM-only with top-level await, so CommonJS code must load it with a real
 *    `import()`. Under Jest (no --experimental-vm-modules) a dynamic import inside the test VM
 *    throws; a worker thread is a plain Node context where `import()` always works, so the same
 *    code runs from ts-jest, from compiled dist/ and from the CLI.
 *  - the HTTP event loop stays free of the (small) synchronous parts of sampling/detokenizing.
 *
 * Each choice gets a sequence of its own whose history is cleared first, so nothing of one
 * request leaks into the next. Prompts are rendered with the chat wrapper node-llama-cpp
 * resolves from the GGUF (its tokenizer.chat_template, or the architecture's known format).
 */
import { parentPort } from 'node:worker_threads';
import {
  CANCELLED,
  CONTEXT_LENGTH_EXCEEDED,
  type ChatMessage,
  type ChoiceResult,
  type EngineInfo,
  type EngineInitOptions,
  type EngineRequest,
  type EngineResponse,
  type EngineStats,
  type PromptInfo,
  type SamplingParams,
} from './types';

type NodeLlamaCpp = typeof import('node-llama-cpp', { with: { 'resolution-mode': 'import' } });
type Llama = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).Llama;
type LlamaModel = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).LlamaModel;
type LlamaContext = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).LlamaContext;
type LlamaContextSequence = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).LlamaContextSequence;
type ChatWrapper = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).ChatWrapper;
type ChatHistoryItem = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).ChatHistoryItem;
type Token = import('node-llama-cpp', { with: { 'resolution-mode': 'import' } }).Token;

export class EngineError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Load node-llama-cpp through a real dynamic import (kept as import() by TypeScript's node16 CJS output). */
export async function loadNodeLlamaCpp(): Promise<NodeLlamaCpp> {
  return await import('node-llama-cpp');
}

interface RenderedPrompt {
  tokens: Token[];
  /** Token sequences that end generation when they appear at the end of the output. */
  stopTokenSeqs: Token[][];
  /** Plain-text stop triggers of the chat format (cut from the output like user stops). */
  stopTexts: string[];
}

export class LlamaEngine {
  private nlc!: NodeLlamaCpp;
  private llama!: Llama;
  private model!: LlamaModel;
  private context!: LlamaContext;
  private wrapper!: ChatWrapper;
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: Array<() => void> = [];
  private readonly cancelled = new Set<number>();
  private busy = 0;
  private parallel = 1;

  async init(opts: EngineInitOptions): Promise<EngineInfo> {
    this.nlc = await loadNodeLlamaCpp();
    const { getLlama, LlamaLogLevel, resolveChatWrapper } = this.nlc;
    this.llama = await getLlama({
      gpu: false,
      build: 'never', // never compile llama.cpp from source
      skipDownload: true, // never download llama.cpp sources
      usePrebuiltBinaries: true, // the CPU binary of @node-llama-cpp/linux-x64 (or the platform's)
      progressLogs: false,
      maxThreads: opts.threads,
      logLevel: LlamaLogLevel.error,
      logger: (level, message) => {
        if (message.trim()) process.stderr.write(`[llama ${level}] ${message.trimEnd()}\n`);
      },
    });
    this.model = await this.llama.loadModel({ modelPath: opts.ggufPath, gpuLayers: 0 });
    this.parallel = Math.max(1, opts.parallel);
    this.context = await this.model.createContext({
      sequences: this.parallel,
      contextSize: Math.min(opts.contextSize, this.model.trainContextSize || opts.contextSize),
      batchSize: opts.batchSize ?? Math.min(512, opts.contextSize),
      threads: { ideal: opts.threads, min: opts.threads },
    });
    for (let i = 0; i < this.parallel; i++) this.free.push(this.context.getSequence());
    this.wrapper = resolveChatWrapper(this.model);
    const meta = this.model.fileInfo.metadata as { general?: { name?: string; architecture?: string }; tokenizer?: { chat_template?: string } };
    return {
      ggufName: meta.general?.name,
      architecture: meta.general?.architecture,
      chatWrapper: this.wrapper.wrapperName,
      hasChatTemplate: typeof meta.tokenizer?.chat_template === 'string',
      contextSize: this.context.contextSize,
      trainContextSize: this.model.trainContextSize,
      parallel: this.parallel,
      threads: opts.threads,
    };
  }

  stats(): EngineStats {
    return { busy: this.busy, queued: this.waiters.length, parallel: this.parallel };
  }

  cancel(target: number): void {
    this.cancelled.add(target);
  }

  render(messages: ChatMessage[]): RenderedPrompt {
    const history: ChatHistoryItem[] = messages.map((m): ChatHistoryItem => {
      if (m.role === 'system') return { type: 'system', text: m.content };
      if (m.role === 'user') return { type: 'user', text: m.content };
      return { type: 'model', response: [m.content] };
    });
    history.push({ type: 'model', response: [] });
    const state = this.wrapper.generateContextState({ chatHistory: history });
    const tokens = state.contextText.tokenize(this.model.tokenizer);
    const stopTokenSeqs: Token[][] = [];
    const stopTexts: string[] = [];
    for (const trigger of state.stopGenerationTriggers) {
      const seq = trigger.tokenize(this.model.tokenizer);
      if (seq.length > 0) stopTokenSeqs.push(seq);
      if (trigger.values.every((v) => typeof v === 'string')) {
        const text = trigger.values.join('');
        if (text) stopTexts.push(text);
      }
    }
    return { tokens, stopTokenSeqs, stopTexts };
  }

  prompt(messages: ChatMessage[]): PromptInfo {
    return { promptTokens: this.render(messages).tokens.length };
  }

  private async acquire(): Promise<LlamaContextSequence> {
    while (this.free.length === 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.busy++;
    return this.free.pop()!;
  }

  private release(seq: LlamaContextSequence): void {
    this.busy--;
    this.free.push(seq);
    this.waiters.shift()?.();
  }

  async generate(id: number, messages: ChatMessage[], params: SamplingParams): Promise<ChoiceResult> {
    const prompt = this.render(messages);
    const room = this.context.contextSize - prompt.tokens.length;
    if (room < 1) {
      throw new EngineError(
        `This model's maximum context length is ${this.context.contextSize} tokens; the messages use ${prompt.tokens.length}`,
        CONTEXT_LENGTH_EXCEEDED,
      );
    }
    const limit = Math.min(params.maxTokens, room);
    const queuedAt = Date.now();
    const seq = await this.acquire();
    const startedAt = Date.now();
    try {
      if (this.cancelled.has(id)) throw new EngineError('request cancelled', CANCELLED);
      await seq.clearHistory(); // a fresh history for every choice: nothing leaks between requests
      const stops = [...params.stop, ...prompt.stopTexts].filter((s) => s.length > 0);
      const maxStopLen = stops.reduce((a, s) => Math.max(a, s.length), 0);
      const out: Token[] = [];
      let text = '';
      let checkedUpTo = 0;
      let finishReason: 'stop' | 'length' = 'stop';
      let stopped = false;
      for await (const token of seq.evaluate(prompt.tokens, {
        temperature: params.temperature,
        topP: params.topP,
        topK: params.topK,
        seed: params.seed,
      })) {
        if (this.cancelled.has(id)) throw new EngineError('request cancelled', CANCELLED);
        out.push(token);
        // Chat-format stop triggers made of (special) tokens, e.g. <|im_end|>.
        const tokenStop = prompt.stopTokenSeqs.find((s) => endsWith(out, s));
        if (tokenStop) {
          text = this.model.detokenize(out.slice(0, out.length - tokenStop.length));
          stopped = true;
          break;
        }
        if (stops.length > 0) {
          text = this.model.detokenize(out);
          const from = Math.max(0, checkedUpTo - maxStopLen);
          let cut = -1;
          for (const s of stops) {
            const at = text.indexOf(s, from);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
          }
          checkedUpTo = text.length;
          if (cut >= 0) {
            text = text.slice(0, cut);
            stopped = true;
            break;
          }
        }
        if (out.length >= limit) {
          finishReason = 'length';
          break;
        }
      }
      if (!stopped) text = this.model.detokenize(out);
      if (!stopped && finishReason !== 'length') finishReason = 'stop'; // end-of-generation token
      return { text, finishReason, completionTokens: out.length, elapsedMs: Date.now() - startedAt, queuedMs: startedAt - queuedAt };
    } finally {
      this.cancelled.delete(id);
      this.release(seq);
    }
  }

  async dispose(): Promise<void> {
    await this.context?.dispose();
    await this.model?.dispose();
    await this.llama?.dispose();
  }
}

function endsWith(tokens: Token[], suffix: Token[]): boolean {
  if (suffix.length > tokens.length) return false;
  for (let i = 1; i <= suffix.length; i++) if (tokens[tokens.length - i] !== suffix[suffix.length - i]) return false;
  return true;
}

/** Entry point inside the worker thread: serve EngineRequests from the parent. */
export function runEngineWorker(): void {
  const port = parentPort;
  if (!port) throw new Error('runEngineWorker must run inside a worker thread');
  const engine = new LlamaEngine();
  const reply = (res: EngineResponse): void => port.postMessage(res);
  port.on('message', (req: EngineRequest) => {
    if (req.op === 'cancel') {
      engine.cancel(req.target);
      reply({ id: req.id, ok: true, value: null });
      return;
    }
    void (async () => {
      try {
        let value: unknown;
        switch (req.op) {
          case 'init':
            value = await engine.init(req.options);
            break;
          case 'prompt':
            value = engine.prompt(req.messages);
            break;
          case 'generate':
            value = await engine.generate(req.id, req.messages, req.params);
            break;
          case 'stats':
            value = engine.stats();
            break;
          case 'dispose':
            await engine.dispose();
            value = null;
            break;
        }
        reply({ id: req.id, ok: true, value });
      } catch (err) {
        const e = err as { message?: string; code?: string };
        reply({ id: req.id, ok: false, error: { message: String(e?.message ?? err), code: err instanceof EngineError ? err.code : undefined } });
      }
    })();
  });
}
