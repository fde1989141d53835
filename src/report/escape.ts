/**
 * The one place that makes a string from input safe for an output target. Host names, member names,
 * manifest fields, dmesg lines, module parameters, stats lines: all of them come from another machine
 * (a bundle, a snapshot a stranger sent) and may hold terminal control sequences (clear screen, cursor
 * moves that fake text, OSC window titles, hyperlinks) or Markdown that changes the ticket's layout.
 *
 * One escaper per target; renderers call it at the boundary, on every input-derived string:
 *   forTerminal(s)   text reports and stderr messages
 *   forMarkdown(s)   inline Markdown text and table cells (input strings)
 *   forMarkdownProse(s) toa-doctor's own sentences, which may quote input
 *   forPromLabel(s)  a label value in the Prometheus text format (host --format prometheus)
 * HTML has its own module beside the page renderer (html/escape.ts escapeHtml); the page's browser-side
 * card and ladder code (html/card.ts, html/ladder-draw.ts) keeps a copy inside each function, because
 * the page ships those functions' source text and they may use only their arguments and built-ins.
 *
 * "Control character" means C0 (U+0000-U+001F, including ESC, CR, BS), DEL (U+007F), C1 (U+0080-U+009F:
 * U+009B is a one-byte CSI on many terminals) and the Unicode bidirectional overrides/isolates
 * (U+202A-U+202E, U+2066-U+2069; "Trojan Source"), plus U+2028/U+2029 line separators. Each is shown as
 * a visible escape (`\x1b`, `\u202e`) so the reader sees that it was there. A newline is kept only
 * where the caller says so (multi-line text such as a dmesg excerpt is split by the caller instead).
 */

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const CONTROL_KEEP_NL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function visible(ch: string): string {
  const c = ch.charCodeAt(0);
  if (c === 0x09) return '\\t';
  if (c === 0x0a) return '\\n';
  if (c === 0x0d) return '\\r';
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** True when `s` holds a character forTerminal would escape. */
export function hasControl(s: string): boolean {
  CONTROL.lastIndex = 0;
  return CONTROL.test(s);
}

/**
 * Safe for a terminal: every control character shown escaped. `keepNewlines` keeps '\n' (for
 * multi-line text the caller indents itself); everything else, '\r' included, is escaped.
 */
export function forTerminal(s: string | null | undefined, keepNewlines = false): string {
  if (s === null || s === undefined) return '';
  const str = String(s);
  return str.replace(keepNewlines ? CONTROL_KEEP_NL : CONTROL, visible);
}

/**
 * Markdown specials escaped with a backslash (CommonMark "backslash escapes"): those that start code,
 * emphasis, links, images, HTML or strike-through, or end a table cell. '_' only where it can open or
 * close emphasis (at a word's edge: `TOA_MISSING` stays readable), '#' only where it starts the text.
 */
const MD_SPECIAL = /[\\`*[\]<>|~]|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])|^#/g;

/**
 * Safe as inline Markdown text or a table cell: control characters shown escaped, newlines become
 * spaces, and the characters that start emphasis, code, links, HTML, headings or break a table cell
 * are backslash-escaped, so input renders as the literal text it was.
 */
export function forMarkdown(s: string | null | undefined): string {
  if (s === null || s === undefined) return '';
  return String(s)
    .replace(/\r?\n/g, ' ')
    .replace(CONTROL, visible)
    .replace(MD_SPECIAL, (c) => `\\${c}`);
}

/**
 * toa-doctor's own prose in Markdown (finding titles, explanations, remedies, evidence details,
 * verdict lines): it carries intended code spans (`toa-doctor host`) and names such as TOA_MISSING,
 * so Markdown stays Markdown; what may have come from input inside it (a module parameter, a log
 * line quoted in a detail) still has every control character shown escaped, and backslashes and
 * table pipes cannot break the line or the table.
 */
export function forMarkdownProse(s: string | null | undefined): string {
  if (s === null || s === undefined) return '';
  return String(s)
    .replace(/\r?\n/g, ' ')
    .replace(CONTROL, visible)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|');
}

/**
 * Safe inside a Markdown code span or fenced block: control characters escaped, and backticks (which
 * would end the span or fence) replaced by a look-alike-free `'`. Newlines are kept when asked (fenced
 * blocks) and become spaces otherwise.
 */
export function forMarkdownCode(s: string | null | undefined, keepNewlines = false): string {
  if (s === null || s === undefined) return '';
  let t = String(s);
  if (!keepNewlines) t = t.replace(/\r?\n/g, ' ');
  return t.replace(keepNewlines ? CONTROL_KEEP_NL : CONTROL, visible).replace(/`/g, "'");
}

/**
 * A label value of the Prometheus text exposition format, where a backslash, a double quote and a line
 * feed are written as the two characters \\, \" and \n (prometheus/docs,
 * content/docs/instrumenting/exposition_formats.md, "Text format details").
 */
export function forPromLabel(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** Cut a string to at most `max` characters (by UTF-16 units), marking the cut with its full length. */
export function clip(s: string, max: number): string {
  if (s.length <= max) return s;
  return `${s.slice(0, max)}… (${s.length} characters)`;
}
