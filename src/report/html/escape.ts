/**
 * The one HTML escaper of the page renderer. Every string that comes from the report (addresses,
 * reasons, file names, host text from another machine) goes through escapeHtml before it reaches
 * markup; attribute values are always double-quoted, so the same function serves both.
 * jsonForScript embeds data in a <script type="application/json"> element: `<` is written as
 * \u003c so no string can close the element, and U+2028/U+2029 are escaped for old parsers.
 */

/**
 * text or attribute value → safe HTML: C0 controls (but tab and newline), DEL and C1 controls carry
 * no text and are dropped; null/undefined are ''. SELF-CONTAINED (no module constants): the page
 * ships its source (ESCAPE_SOURCE) so the cards and ladders the browser builds escape the same way.
 */
export function escapeHtml(v: unknown): string {
  const s = typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v);
  return s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g, '')
    .replace(/[&<>"']/g, (c) =>
      c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '"' ? '&quot;' : '&#39;',
    );
}

/** escapeHtml's source text, for the page's script */
export const ESCAPE_SOURCE = escapeHtml.toString();

/** JSON text safe inside <script type="application/json"> */
export function jsonForScript(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}
