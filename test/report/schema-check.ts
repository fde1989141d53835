/**
 * A small JSON Schema (draft 2020-12) checker for the subset schema/report.schema.json uses:
 * type, const, enum, properties, required, additionalProperties, items, $ref (local), anyOf,
 * minimum, maximum, pattern. Returns the list of violations (empty = valid).
 */
type Schema = Record<string, unknown> | boolean;

const SUPPORTED = new Set([
  '$schema',
  '$id',
  '$defs',
  'title',
  'description',
  'type',
  'const',
  'enum',
  'properties',
  'required',
  'additionalProperties',
  'items',
  '$ref',
  'anyOf',
  'minimum',
  'maximum',
  'pattern',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const t = typeOf(v);
  return want === t || (want === 'number' && t === 'integer');
}

export function checkSchema(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let cur: unknown = root;
    for (const part of ref.slice(2).split('/')) cur = (cur as Record<string, unknown>)[part];
    if (cur === undefined) throw new Error(`dangling $ref ${ref}`);
    return cur as Schema;
  };
  const walk = (s: Schema, v: unknown, path: string, out: string[]): void => {
    if (s === true) return;
    if (s === false) {
      out.push(`${path}: not allowed`);
      return;
    }
    for (const k of Object.keys(s))
      if (!SUPPORTED.has(k)) throw new Error(`unsupported keyword ${k} at ${path}`);
    if (typeof s.$ref === 'string') walk(resolve(s.$ref), v, path, out);
    if (s.type !== undefined) {
      const types = Array.isArray(s.type) ? (s.type as string[]) : [s.type as string];
      if (!types.some((t) => typeMatches(t, v))) {
        out.push(`${path}: expected ${types.join('|')}, got ${typeOf(v)}`);
        return;
      }
    }
    if ('const' in s && JSON.stringify(s.const) !== JSON.stringify(v))
      out.push(`${path}: expected ${JSON.stringify(s.const)}`);
    if (Array.isArray(s.enum) && !s.enum.some((e) => JSON.stringify(e) === JSON.stringify(v)))
      out.push(`${path}: ${JSON.stringify(v)} not in enum`);
    if (typeof v === 'number') {
      if (typeof s.minimum === 'number' && v < s.minimum) out.push(`${path}: ${v} < ${s.minimum}`);
      if (typeof s.maximum === 'number' && v > s.maximum) out.push(`${path}: ${v} > ${s.maximum}`);
    }
    if (typeof v === 'string' && typeof s.pattern === 'string' && !new RegExp(s.pattern, 'u').test(v))
      out.push(`${path}: ${JSON.stringify(v)} does not match ${s.pattern}`);
    if (Array.isArray(s.anyOf)) {
      const ok = (s.anyOf as Schema[]).some((sub) => {
        const e: string[] = [];
        walk(sub, v, path, e);
        return e.length === 0;
      });
      if (!ok) out.push(`${path}: matches none of anyOf`);
    }
    if (typeOf(v) === 'object') {
      const obj = v as Record<string, unknown>;
      const props = (s.properties ?? {}) as Record<string, Schema>;
      for (const r of (s.required as string[] | undefined) ?? [])
        if (!(r in obj)) out.push(`${path}: missing ${r}`);
      for (const [k, val] of Object.entries(obj)) {
        if (k in props) walk(props[k]!, val, `${path}.${k}`, out);
        else if (s.additionalProperties !== undefined)
          walk(s.additionalProperties as Schema, val, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(v) && s.items !== undefined) {
      for (let i = 0; i < v.length; i++) walk(s.items as Schema, v[i], `${path}[${i}]`, out);
    }
  };
  walk(root, value, '$', errors);
  return errors;
}
