/**
 * Istio durations: strings such as `"30s"`, `"1.5s"`, `"100ms"`, `"1h"` or `"1m30s"` (Go
 * `time.ParseDuration` syntax without a sign, which Istio's YAML accepts).
 */

/** Pattern the JSON Schemas use for duration fields; kept in step with {@link parseDurationMs}. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(h|m|s|ms|us|µs|ns))+$';

const PART = /([0-9]+(?:\.[0-9]+)?)(h|ms|m|s|us|µs|ns)/y;
const UNIT_MS: Record<string, number> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 1e-6,
};

/**
 * Parses an Istio duration into milliseconds; `undefined` when the text is not a duration.
 *
 * @example
 * parseDurationMs('1.5s') // 1500
 * parseDurationMs('1m30s') // 90000
 */
export function parseDurationMs(text: string): number | undefined {
  if (text.length === 0) return undefined;
  let totalMs = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) return undefined;
    totalMs += Number(m[1]) * UNIT_MS[m[2]];
  }
  // Round away float noise (0.1 + 0.2) while keeping sub-millisecond precision.
  return Math.round(totalMs * 1e6) / 1e6;
}

/** Like {@link parseDurationMs} but throws a `RangeError` naming the text when it is invalid. */
export function durationMs(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === undefined)
    throw new RangeError(`"${text}" is not a duration (expected e.g. "30s", "1.5s", "100ms")`);
  return ms;
}
