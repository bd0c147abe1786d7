/**
 * W3C Trace Context (`traceparent`) parsing and propagation. The active context lives in
 * AsyncLocalStorage so outbound clients can forward it without handlers threading it through.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';

/** The parts of a `traceparent` header that matter here. */
export interface TraceContext {
  traceId: string;
  /** The span id of the current hop (the parent of spans it starts). */
  spanId: string;
  sampled: boolean;
}

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ZERO32 = '0'.repeat(32);
const ZERO16 = '0'.repeat(16);

/** Parses a `traceparent` header; returns undefined when it is absent or malformed (per spec, ignore it). */
export function parseTraceparent(header: string | string[] | undefined): TraceContext | undefined {
  if (typeof header !== 'string') return undefined;
  const parts = header.trim().split('-');
  if (parts.length < 4) return undefined;
  const [version, traceId, spanId, flags] = parts;
  if (version.length !== 2 || version === 'ff' || flags.length !== 2) return undefined;
  if (version === '00' && parts.length !== 4) return undefined;
  if (!HEX32.test(traceId) || traceId === ZERO32 || !HEX16.test(spanId) || spanId === ZERO16)
    return undefined;
  return { traceId, spanId, sampled: (Number.parseInt(flags, 16) & 1) === 1 };
}

/** Formats a context as a version-00 `traceparent`. */
export function formatTraceparent(ctx: TraceContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${ctx.sampled ? '01' : '00'}`;
}

/** Starts this hop's span: continues the incoming trace (new span id) or starts a new trace. */
export function childContext(parent: TraceContext | undefined): TraceContext {
  return {
    traceId: parent?.traceId ?? randomBytes(16).toString('hex'),
    spanId: randomBytes(8).toString('hex'),
    sampled: parent?.sampled ?? true,
  };
}

const storage = new AsyncLocalStorage<TraceContext>();

/** Runs `fn` with `ctx` as the active trace context. */
export function runWithTrace<T>(ctx: TraceContext, fn: () => T): T {
  return storage.run(ctx, fn);
}

/** The active trace context, if a request is being handled. */
export function currentTrace(): TraceContext | undefined {
  return storage.getStore();
}
