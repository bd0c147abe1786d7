/** Envoy `type.v3.FractionalPercent` and `type.v3.Percent`, compiled to a probability in [0, 1]. */
import { ProxyConfigError } from '../errors.js';
import { num, obj, str, uint } from './fields.js';

const DENOMINATORS: Readonly<Record<string, number>> = {
  HUNDRED: 100,
  TEN_THOUSAND: 10_000,
  MILLION: 1_000_000,
};

/** Compiles `{numerator, denominator}` (denominator defaults to HUNDRED) to a probability. */
export function fractionalPercent(v: unknown, path: string): number {
  const o = obj(v, path, ['numerator', 'denominator']);
  const d = str(o, 'denominator', path) ?? 'HUNDRED';
  const den = DENOMINATORS[d];
  if (den === undefined) throw new ProxyConfigError(`${path}.denominator`, `unknown denominator "${d}"`);
  return Math.min(uint(o, 'numerator', path, 0) / den, 1);
}

/** Compiles `{value: 12.5}` (a percentage) to a probability. */
export function percent(v: unknown, path: string): number {
  const o = obj(v, path, ['value']);
  const p = num(o, 'value', path, 0);
  if (p < 0 || p > 100) throw new ProxyConfigError(`${path}.value`, 'must be within [0, 100]');
  return p / 100;
}

/** Compiles a `RuntimeFractionalPercent` (`default_value` only; runtime keys are not supported). */
export function runtimeFraction(v: unknown, path: string): number {
  const o = obj(v, path, ['default_value', 'runtime_key']);
  if (o.default_value === undefined) return 1;
  return fractionalPercent(o.default_value, `${path}.default_value`);
}
