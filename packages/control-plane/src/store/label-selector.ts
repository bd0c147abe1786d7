/**
 * Kubernetes label selectors (`app=reviews,version!=v1,tier in (web,api),!canary,track`),
 * compiled once into a predicate over a label map.
 */
import { ControlPlaneError } from '../errors.js';

/** A compiled selector. */
export type LabelPredicate = (labels: Readonly<Record<string, string>> | undefined) => boolean;

interface Requirement {
  key: string;
  op: 'eq' | 'ne' | 'in' | 'notin' | 'exists' | 'absent';
  values: string[];
}

const SET_REQ = /^([A-Za-z0-9._/-]+)\s+(in|notin)\s+\(([^)]*)\)$/;
const EQ_REQ = /^([A-Za-z0-9._/-]+)\s*(==|=|!=)\s*([A-Za-z0-9._-]*)$/;
const KEY = /^(!?)\s*([A-Za-z0-9._/-]+)$/;

/**
 * Compiles a selector; an empty selector matches everything. Throws `MESH_ERR_CP_BAD_REQUEST`
 * naming the requirement it cannot read.
 *
 * @example
 * const match = compileLabelSelector('app=reviews,version in (v1,v2)');
 * match({ app: 'reviews', version: 'v2' }) // true
 */
export function compileLabelSelector(selector: string | undefined): LabelPredicate {
  const requirements = splitRequirements(selector ?? '').map(parseRequirement);
  if (requirements.length === 0) return () => true;
  return (labels) => requirements.every((r) => holds(r, labels ?? {}));
}

/** Splits on commas that are not inside a `( … )` value set. */
function splitRequirements(selector: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  out.push(selector.slice(start));
  return out.map((s) => s.trim()).filter((s) => s.length > 0);
}

function parseRequirement(text: string): Requirement {
  let m = SET_REQ.exec(text);
  if (m) {
    const values = m[3]
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v.length > 0);
    return { key: m[1], op: m[2] as 'in' | 'notin', values };
  }
  m = EQ_REQ.exec(text);
  if (m) return { key: m[1], op: m[2] === '!=' ? 'ne' : 'eq', values: [m[3]] };
  m = KEY.exec(text);
  if (m) return { key: m[2], op: m[1] ? 'absent' : 'exists', values: [] };
  throw new ControlPlaneError('MESH_ERR_CP_BAD_REQUEST', `labelSelector: cannot read requirement "${text}"`);
}

function holds(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.values[0];
    case 'ne':
      return !has || value !== r.values[0];
    case 'in':
      return has && r.values.includes(value);
    case 'notin':
      return !has || !r.values.includes(value);
    case 'exists':
      return has;
    case 'absent':
      return !has;
  }
}
