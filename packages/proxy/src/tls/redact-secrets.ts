/**
 * Redaction of key material for `/config_dump`, as Envoy redacts fields marked sensitive: the
 * `private_key` and `password` DataSources of TLS certificates (and session ticket keys) keep
 * their shape but every string in them becomes `[redacted]`. Certificates and CAs stay visible.
 */

const SENSITIVE = new Set([
  'private_key',
  'password',
  'session_ticket_keys',
  'privateKey',
  'sessionTicketKeys',
]);
const REDACTED = '[redacted]';

/** A deep copy of a JSON resource with secrets redacted (the input is not modified). */
export function redactSecrets(value: unknown): unknown {
  return copy(value, false);
}

function copy(v: unknown, sensitive: boolean): unknown {
  if (typeof v === 'string') return sensitive ? REDACTED : v;
  if (Array.isArray(v)) return v.map((x) => copy(x, sensitive));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = copy(x, sensitive || SENSITIVE.has(k));
  return out;
}
