/** Request-body validation that names every bad field (collected, not first-error-only). */
import { BadRequestError, type ProblemEntry } from '@meshwork/service';

/** Collects problems while reading fields of an untrusted JSON body. */
export class BodyReader {
  readonly problems: ProblemEntry[] = [];
  private readonly obj: Record<string, unknown>;

  constructor(body: unknown) {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      this.obj = {};
      this.problems.push({ path: '', reason: 'body must be a JSON object' });
    } else {
      this.obj = body as Record<string, unknown>;
    }
  }

  /** A required non-empty string. */
  string(name: string, path = `/${name}`, source: Record<string, unknown> = this.obj): string {
    const v = source[name];
    if (typeof v !== 'string' || v.length === 0)
      this.problems.push({ path, reason: 'must be a non-empty string' });
    return typeof v === 'string' ? v : '';
  }

  /** An optional string. */
  optionalString(name: string): string | undefined {
    const v = this.obj[name];
    if (v !== undefined && typeof v !== 'string')
      this.problems.push({ path: `/${name}`, reason: 'must be a string' });
    return typeof v === 'string' ? v : undefined;
  }

  /** A required integer ≥ min. */
  integer(name: string, min: number, path = `/${name}`, source: Record<string, unknown> = this.obj): number {
    const v = source[name];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      this.problems.push({ path, reason: `must be an integer ≥ ${min}` });
      return min;
    }
    return v;
  }

  /** A required non-empty array of objects. */
  objects(name: string): Record<string, unknown>[] {
    const v = this.obj[name];
    if (!Array.isArray(v) || v.length === 0) {
      this.problems.push({ path: `/${name}`, reason: 'must be a non-empty array' });
      return [];
    }
    return v.map((item, i) => {
      if (item && typeof item === 'object' && !Array.isArray(item)) return item as Record<string, unknown>;
      this.problems.push({ path: `/${name}/${i}`, reason: 'must be an object' });
      return {};
    });
  }

  /** Throws a 400 listing every problem found, if any. */
  done(what: string): void {
    if (this.problems.length > 0) throw new BadRequestError(`invalid ${what}`, this.problems);
  }
}

/** The `Idempotency-Key` header, required on non-idempotent writes. */
export function idempotencyKey(headers: Record<string, string | string[] | undefined>): string {
  const key = headers['idempotency-key'];
  if (typeof key !== 'string' || key.length === 0 || key.length > 200) {
    throw new BadRequestError('the Idempotency-Key header is required (1..200 characters)', [
      { path: 'header:Idempotency-Key', reason: 'missing or too long' },
    ]);
  }
  return key;
}
