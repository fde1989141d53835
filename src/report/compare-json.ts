/**
 * JSON for `toa-doctor compare --json`: the `toa-doctor/compare@1` document as is
 * (schema/compare.schema.json). compareJsonChunks() yields it in pieces (the head, then the pairs in
 * batches) so 100,000 pairs are written without one giant string; renderCompareJson() joins them.
 */
import type { CompareDocument } from '../compare/types.js';

export function* compareJsonChunks(doc: CompareDocument, batch = 512): Generator<string> {
  const { pairs, ...rest } = doc;
  const head = JSON.stringify({ ...rest, pairs: [] });
  // the head ends with `"pairs":[],"onlyA":...}`: split at the empty pairs array
  const at = head.indexOf('"pairs":[]');
  yield `${head.slice(0, at)}"pairs":[`;
  for (let i = 0; i < pairs.length; i += batch) {
    const part = pairs.slice(i, i + batch).map((p) => JSON.stringify(p));
    yield (i ? ',' : '') + part.join(',');
  }
  yield `]${head.slice(at + '"pairs":[]'.length)}\n`;
}

export function renderCompareJson(doc: CompareDocument): string {
  return [...compareJsonChunks(doc)].join('');
}
