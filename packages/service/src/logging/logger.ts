/**
 * Structured JSON logs (pino) carrying service, instance and — inside a request — trace ids.
 */
import pino, { type Logger } from 'pino';
import { currentTrace } from './trace-context.js';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  service: string;
  instanceId: string;
  /** pino level; default `LOG_LEVEL` or `info`. */
  level?: string;
  /** Destination stream (tests); default stdout. */
  destination?: NodeJS.WritableStream;
}

/**
 * Creates the service logger. Every line has `service` and `instance`; lines logged while a
 * request is in flight also get `trace_id` and `span_id` from the active trace context.
 */
export function createLogger(options: LoggerOptions): Logger {
  const opts: pino.LoggerOptions = {
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    base: { service: options.service, instance: options.instanceId },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    mixin() {
      const trace = currentTrace();
      return trace ? { trace_id: trace.traceId, span_id: trace.spanId } : {};
    },
  };
  return options.destination ? pino(opts, options.destination) : pino(opts);
}
