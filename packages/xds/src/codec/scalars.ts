import protobuf from 'protobufjs';
import { XdsCodecError } from '../errors.js';

const INT_STRING_RE = /^-?\d+$/;
const BASE64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const FLOAT_MAX = 3.4028234663852886e38;

/** Short description of a JSON value for error messages (`string "5x"`, `array`, `null`). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value;
}

function parseInteger(value: unknown, path: string, min: bigint, max: bigint, kind: string): bigint {
  let big: bigint | undefined;
  if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && INT_STRING_RE.test(value)) big = BigInt(value);
  if (big === undefined) throw new XdsCodecError(path, `expected ${kind} integer, got ${describe(value)}`);
  if (big < min || big > max) throw new XdsCodecError(path, `${kind} out of range: ${value}`);
  return big;
}

function parseFloating(value: unknown, path: string, kind: string): number {
  let num: number | undefined;
  if (typeof value === 'number') num = value;
  else if (value === 'NaN') num = Number.NaN;
  else if (value === 'Infinity') num = Number.POSITIVE_INFINITY;
  else if (value === '-Infinity') num = Number.NEGATIVE_INFINITY;
  else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value)))
    num = Number(value);
  if (num === undefined) throw new XdsCodecError(path, `expected ${kind}, got ${describe(value)}`);
  if (kind === 'float' && Number.isFinite(num) && Math.abs(num) > FLOAT_MAX) {
    throw new XdsCodecError(path, `float out of range: ${value}`);
  }
  return num;
}

// 64-bit values stay numbers while exact and become strings beyond 2^53, which protobufjs's
// writer accepts (through Long) without loss.
function int64Value(big: bigint): number | string {
  const asNumber = Number(big);
  return Number.isSafeInteger(asNumber) ? asNumber : big.toString();
}

/**
 * Parses a proto3 JSON scalar of protobuf type `kind` (`uint32`, `int64`, `bytes`, …) into the
 * value protobufjs encodes. Throws {@link XdsCodecError} naming `path` on a type mismatch.
 */
export function parseScalar(kind: string, value: unknown, path: string): unknown {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw new XdsCodecError(path, `expected string, got ${describe(value)}`);
      return value;
    case 'bool':
      if (typeof value !== 'boolean')
        throw new XdsCodecError(path, `expected boolean, got ${describe(value)}`);
      return value;
    case 'bytes':
      if (typeof value !== 'string' || !BASE64_RE.test(value)) {
        throw new XdsCodecError(path, `expected base64 bytes, got ${describe(value)}`);
      }
      return Buffer.from(value, value.includes('-') || value.includes('_') ? 'base64url' : 'base64');
    case 'double':
    case 'float':
      return parseFloating(value, path, kind);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return Number(parseInteger(value, path, -(2n ** 31n), 2n ** 31n - 1n, kind));
    case 'uint32':
    case 'fixed32':
      return Number(parseInteger(value, path, 0n, 2n ** 32n - 1n, kind));
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return int64Value(parseInteger(value, path, INT64_MIN, INT64_MAX, kind));
    case 'uint64':
    case 'fixed64':
      return int64Value(parseInteger(value, path, 0n, UINT64_MAX, kind));
    default:
      throw new XdsCodecError(path, `unsupported scalar type ${kind}`);
  }
}

/** Shortest decimal that reads back as the same 32-bit float (protobufjs widens floats to doubles). */
function formatFloat32(value: number): number {
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

function formatInt64(value: unknown, unsigned: boolean): number | string {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') return int64Value(BigInt(value));
  const long = value as protobuf.Long;
  const LongCtor = protobuf.util.Long as unknown as
    | { fromBits(low: number, high: number, unsigned: boolean): { toString(): string } }
    | undefined;
  const text = LongCtor ? LongCtor.fromBits(long.low, long.high, unsigned).toString() : String(value);
  return int64Value(BigInt(text));
}

/** Formats a decoded scalar as proto3 JSON (64-bit as numbers or strings, bytes as base64). */
export function formatScalar(kind: string, value: unknown): unknown {
  switch (kind) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return formatInt64(value, false);
    case 'uint64':
    case 'fixed64':
      return formatInt64(value, true);
    case 'bytes':
      return typeof value === 'string' ? value : Buffer.from(value as Uint8Array).toString('base64');
    case 'float':
    case 'double': {
      const num = value as number;
      if (Number.isNaN(num)) return 'NaN';
      if (!Number.isFinite(num)) return num > 0 ? 'Infinity' : '-Infinity';
      return kind === 'float' ? formatFloat32(num) : num;
    }
    default:
      return value;
  }
}

/** Whether a scalar equals its proto3 default, which canonical JSON leaves out. */
export function isScalarDefault(kind: string, value: unknown): boolean {
  switch (kind) {
    case 'string':
      return value === '';
    case 'bool':
      return value === false;
    case 'bytes':
      return (value as { length: number }).length === 0;
    default:
      if (typeof value === 'object' && value !== null) {
        const long = value as protobuf.Long;
        return long.low === 0 && long.high === 0;
      }
      return value === 0 || value === '0';
  }
}
