/**
 * Byte-class tables for the HTTP/1.1 codec (RFC 9110 §5.6.2, RFC 9112). Lookups by char code
 * are the cheapest strict validation available: no regex runs on the hot path.
 */

function table(pred: (c: number) => boolean): Uint8Array {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) t[c] = pred(c) ? 1 : 0;
  return t;
}

const TCHAR_EXTRA = "!#$%&'*+-.^_`|~";

/** `tchar`: the characters allowed in a token (method, header name). */
export const TOKEN: Uint8Array = table(
  (c) =>
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    TCHAR_EXTRA.includes(String.fromCharCode(c)),
);

/** `field-content` characters: VCHAR, SP, HTAB and obs-text; never CR, LF, NUL or other controls. */
export const FIELD_VALUE: Uint8Array = table((c) => c === 0x09 || (c >= 0x20 && c !== 0x7f));

/** Characters allowed in a request-target: visible ASCII only (no spaces, controls or obs-text). */
export const TARGET: Uint8Array = table((c) => c > 0x20 && c < 0x7f);

/** Hex digit value, or 255 when the byte is not a hex digit. */
export const HEX: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(255);
  for (let i = 0; i < 10; i++) t[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[0x41 + i] = 10 + i;
    t[0x61 + i] = 10 + i;
  }
  return t;
})();

/** True when every char of `s` in [from, to) is in `t`. */
export function allIn(t: Uint8Array, s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    if (t[s.charCodeAt(i)] !== 1) return false;
  }
  return true;
}
