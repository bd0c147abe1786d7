/**
 * Envoy's `request_headers_to_add/remove` and `response_headers_to_add/remove`
 * (`HeaderValueOption` with `append`/`append_action`), compiled once per route, virtual host and
 * route configuration, and applied to flat header arrays in place.
 */
import { ProxyConfigError } from '../errors.js';
import { arr, bool, type Json, obj, str } from '../xds/fields.js';

type AppendAction =
  | 'APPEND_IF_EXISTS_OR_ADD'
  | 'ADD_IF_ABSENT'
  | 'OVERWRITE_IF_EXISTS_OR_ADD'
  | 'OVERWRITE_IF_EXISTS';
const ACTIONS: readonly string[] = [
  'APPEND_IF_EXISTS_OR_ADD',
  'ADD_IF_ABSENT',
  'OVERWRITE_IF_EXISTS_OR_ADD',
  'OVERWRITE_IF_EXISTS',
];

/** One compiled add. */
interface HeaderAdd {
  readonly name: string;
  readonly value: string;
  readonly action: AppendAction;
}

/** A compiled set of header additions and removals. */
export interface HeaderMutation {
  readonly add: readonly HeaderAdd[];
  readonly remove: readonly string[];
}

/** The mutation that changes nothing (shared). */
export const NO_MUTATION: HeaderMutation = { add: [], remove: [] };

/** Compiles `<prefix>_headers_to_add` / `<prefix>_headers_to_remove` of object `o`. */
export function compileHeaderMutation(o: Json, prefix: 'request' | 'response', path: string): HeaderMutation {
  const addKey = `${prefix}_headers_to_add`;
  const add = arr(o, addKey, path).map((v, i) => compileAdd(v, `${path}.${addKey}[${i}]`));
  const removeKey = `${prefix}_headers_to_remove`;
  const remove = arr(o, removeKey, path).map((v, i) => {
    if (typeof v !== 'string' || v === '')
      throw new ProxyConfigError(`${path}.${removeKey}[${i}]`, 'expected a header name');
    return v.toLowerCase();
  });
  return add.length === 0 && remove.length === 0 ? NO_MUTATION : { add, remove };
}

function compileAdd(v: unknown, path: string): HeaderAdd {
  const o = obj(v, path, ['header', 'append', 'append_action', 'keep_empty_value']);
  const h = obj(o.header, `${path}.header`, ['key', 'value', 'raw_value']);
  const name = str(h, 'key', `${path}.header`, true).toLowerCase();
  const value = str(h, 'value', `${path}.header`) ?? '';
  if (/%[A-Z_]+(\(|%)/.test(value)) {
    throw new ProxyConfigError(
      `${path}.header.value`,
      'header value formatters (%VAR%) are not supported; use %% for a literal %',
    );
  }
  let action: AppendAction = 'APPEND_IF_EXISTS_OR_ADD';
  if (o.append_action !== undefined) {
    const a = str(o, 'append_action', path, true);
    if (!ACTIONS.includes(a)) throw new ProxyConfigError(`${path}.append_action`, `unknown action "${a}"`);
    action = a as AppendAction;
  } else if (o.append !== undefined && !bool(o, 'append', path, true)) {
    action = 'OVERWRITE_IF_EXISTS_OR_ADD';
  }
  return { name, value: value.replace(/%%/g, '%'), action };
}

/** Applies `m` to `headers` in place. */
export function applyHeaderMutation(m: HeaderMutation, headers: string[]): void {
  for (const name of m.remove) removeHeader(headers, name);
  for (const a of m.add) {
    const exists = indexOfHeader(headers, a.name) >= 0;
    switch (a.action) {
      case 'APPEND_IF_EXISTS_OR_ADD':
        headers.push(a.name, a.value);
        break;
      case 'ADD_IF_ABSENT':
        if (!exists) headers.push(a.name, a.value);
        break;
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        removeHeader(headers, a.name);
        headers.push(a.name, a.value);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (exists) {
          removeHeader(headers, a.name);
          headers.push(a.name, a.value);
        }
        break;
    }
  }
}

/** Index of the first `name` entry in a flat header array, or -1. */
export function indexOfHeader(headers: string[], name: string): number {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return i;
  return -1;
}

/** Removes every `name` entry from a flat header array, in place. */
export function removeHeader(headers: string[], name: string): void {
  let w = 0;
  for (let r = 0; r < headers.length; r += 2) {
    if (headers[r] !== name) {
      headers[w++] = headers[r];
      headers[w++] = headers[r + 1];
    }
  }
  headers.length = w;
}

/** Sets `name` to `value`, replacing any previous values. */
export function setHeader(headers: string[], name: string, value: string): void {
  const i = indexOfHeader(headers, name);
  if (i < 0) {
    headers.push(name, value);
    return;
  }
  headers[i + 1] = value;
  for (let j = i + 2; j < headers.length; j += 2) {
    if (headers[j] === name) {
      removeHeader(headers, name);
      headers.push(name, value);
      return;
    }
  }
}
