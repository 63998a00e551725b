/**
 * Worker logging for CLI processes. The SDK tags every log entry with the component that emitted
 * it (`meta.sdkComponent`, the SDK's documented way to filter), so levels are set per component:
 *   - TOA_LOG_LEVEL (default WARN): our own messages, workflow and activity loggers, Temporal core;
 *   - TOA_SDK_LOG_LEVEL (default ERROR): the SDK's worker component, which logs every state change
 *     at INFO, warns that activity-only agent workers poll no workflows (by design here), and dumps
 *     each failed activity with its task token (the failure interceptor prints one readable line
 *     instead, see ./interceptors.ts).
 * Call before any worker or native connection exists (it installs the Runtime).
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { LogMetadata, Logger } from '@temporalio/common';

const ORDER: LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

function parseLevel(value: string | undefined, fallback: LogLevel): LogLevel {
  const v = value?.toUpperCase();
  return (ORDER as string[]).includes(v ?? '') ? (v as LogLevel) : fallback;
}

/** A Logger that keeps an entry when its level reaches the level of its SDK component. */
export function componentLogger(levels: { default: LogLevel; worker: LogLevel }, write: (line: string) => void): Logger {
  const min = Math.min(ORDER.indexOf(levels.default), ORDER.indexOf(levels.worker));
  return new DefaultLogger(ORDER[min]!, (entry) => {
    const component = (entry.meta as LogMetadata | undefined)?.sdkComponent;
    const threshold = component === 'worker' ? levels.worker : levels.default;
    if (ORDER.indexOf(entry.level) < ORDER.indexOf(threshold)) return;
    const { sdkComponent: _c, ...rest } = (entry.meta ?? {}) as Record<string, unknown>;
    const meta = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    write(`${entry.level} ${entry.message}${meta}\n`);
  });
}

let installed = false;

export function installWorkerLogging(env: NodeJS.ProcessEnv = process.env): void {
  if (installed) return;
  installed = true;
  const levels = { default: parseLevel(env.TOA_LOG_LEVEL, 'WARN'), worker: parseLevel(env.TOA_SDK_LOG_LEVEL, 'ERROR') };
  try {
    Runtime.install({ logger: componentLogger(levels, (line) => process.stderr.write(line)) });
  } catch {
    // A runtime already exists (e.g. installed by the embedding program): keep it.
  }
}
