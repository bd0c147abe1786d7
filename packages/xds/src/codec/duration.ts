import { XdsCodecError } from '../errors.js';

/** Protobuf's `google.protobuf.Duration` range: ±315,576,000,000 seconds (10,000 years). */
const MAX_DURATION_SECONDS = 315_576_000_000;
const DURATION_RE = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/;

/** A `google.protobuf.Duration` as seconds and nanoseconds, both carrying the sign. */
export interface DurationParts {
  seconds: number;
  nanos: number;
}

/**
 * Parses the proto3 JSON form of a duration (`"5s"`, `"0.25s"`, `"-1.000000001s"`) into its
 * parts. Throws {@link XdsCodecError} naming `path` for anything else.
 */
export function parseDurationParts(text: unknown, path = ''): DurationParts {
  const match = typeof text === 'string' ? DURATION_RE.exec(text) : null;
  if (!match) throw new XdsCodecError(path, `invalid duration ${JSON.stringify(text)}`);
  const sign = match[1] ? -1 : 1;
  const seconds = Number(match[2]);
  if (seconds > MAX_DURATION_SECONDS)
    throw new XdsCodecError(path, `duration out of range ${JSON.stringify(text)}`);
  const nanos = match[3] ? Number(match[3].padEnd(9, '0')) : 0;
  return { seconds: sign * seconds || 0, nanos: sign * nanos || 0 };
}

/**
 * Formats duration parts the way Envoy configs write them: seconds with only the fractional
 * digits needed (`"5s"`, `"0.25s"`, `"0.000001s"`). Every proto3 JSON parser accepts this form.
 */
export function formatDurationParts(seconds: number, nanos: number): string {
  const negative = seconds < 0 || nanos < 0;
  const whole = Math.abs(seconds);
  const frac = Math.abs(nanos);
  const fraction = frac === 0 ? '' : `.${String(frac).padStart(9, '0').replace(/0+$/, '')}`;
  return `${negative ? '-' : ''}${whole}${fraction}s`;
}

/**
 * Parses a proto3 JSON duration into milliseconds (fractions kept: `"0.0005s"` → `0.5`).
 *
 * @example parseDuration('1.5s') // 1500
 */
export function parseDuration(text: string, path = ''): number {
  const { seconds, nanos } = parseDurationParts(text, path);
  return seconds * 1000 + nanos / 1e6;
}

/**
 * Formats milliseconds as a proto3 JSON duration string.
 *
 * @example formatDuration(1500) // "1.5s"
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new XdsCodecError('', `cannot format ${ms} ms as a duration`);
  const seconds = Math.trunc(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1e6);
  // Rounding can carry into the next second (999.9999999 ms → 1s).
  if (Math.abs(nanos) >= 1e9) return formatDurationParts(seconds + Math.sign(nanos), 0);
  nanos = nanos || 0;
  return formatDurationParts(seconds, nanos);
}
