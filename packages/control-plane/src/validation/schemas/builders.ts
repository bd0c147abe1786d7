/**
 * Tiny builders for the JSON Schemas, so each kind's schema reads like its TypeScript type.
 * Objects are closed (`additionalProperties: false`): a misspelt field is an error naming the
 * field, as `istioctl validate` reports it, rather than a setting silently ignored.
 */
import { DURATION_PATTERN } from '../../resources/duration.js';

/** A JSON Schema fragment. */
export type Schema = Record<string, unknown>;

/** A closed object with the given properties; `required` lists the mandatory ones. */
export function obj(properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema {
  const out: Schema = { type: 'object', properties, additionalProperties: false, ...extra };
  if (required.length > 0) out.required = required;
  return out;
}

/** An object whose values all match `values` (a YAML map such as `labels`). */
export function map(values: Schema = str()): Schema {
  return { type: 'object', additionalProperties: values };
}

/** An array of `items`. */
export function arr(items: Schema, extra: Schema = {}): Schema {
  return { type: 'array', items, ...extra };
}

/** A string. */
export function str(extra: Schema = {}): Schema {
  return { type: 'string', ...extra };
}

/** A non-empty string. */
export function nonEmpty(): Schema {
  return { type: 'string', minLength: 1 };
}

/** One of the listed strings. */
export function oneOfStrings(values: readonly string[]): Schema {
  return { type: 'string', enum: values };
}

/** An integer within [min, max]. */
export function int(min?: number, max?: number): Schema {
  const out: Schema = { type: 'integer' };
  if (min !== undefined) out.minimum = min;
  if (max !== undefined) out.maximum = max;
  return out;
}

/** A number within [min, max]. */
export function num(min?: number, max?: number): Schema {
  const out: Schema = { type: 'number' };
  if (min !== undefined) out.minimum = min;
  if (max !== undefined) out.maximum = max;
  return out;
}

/** A boolean. */
export function bool(): Schema {
  return { type: 'boolean' };
}

/** A TCP/UDP port number. */
export function port(): Schema {
  return int(1, 65535);
}

/** An Istio duration string (`"30s"`, `"1.5s"`, `"100ms"`). */
export function duration(): Schema {
  return { type: 'string', pattern: DURATION_PATTERN };
}

/** Any JSON object (fields this control plane stores but does not interpret). */
export function anyObject(): Schema {
  return { type: 'object' };
}

/** A string-or-integer (Kubernetes IntOrString). */
export function intOrString(): Schema {
  return { type: ['integer', 'string'] };
}
