/** The one escaper for input strings (issue 16 item 4): terminal, Markdown and Prometheus label targets. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  forMarkdown,
  forMarkdownCode,
  forPromLabel,
  forTerminal,
  hasControl,
} from '../../src/report/escape.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('forTerminal', () => {
  it('shows control characters escaped: clear screen, OSC title, C1 CSI, bidi override, CR', () => {
    expect(forTerminal('a\x1b[2Jb')).toBe('a\\x1b[2Jb');
    expect(forTerminal('\x1b]0;pwned\x07')).toBe('\\x1b]0;pwned\\x07');
    expect(forTerminal('\x9b31m')).toBe('\\x9b31m');
    expect(forTerminal('user\u202egnp.exe')).toBe('user\\u202egnp.exe');
    expect(forTerminal('fake\rline\nnext\t.')).toBe('fake\\rline\\nnext\\t.');
    expect(forTerminal('keep\nlines', true)).toBe('keep\nlines');
    expect(forTerminal('plain text, ünïcode ✓')).toBe('plain text, ünïcode ✓');
    expect(forTerminal(null)).toBe('');
  });
  it('never lets a control character through (any string)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        expect(CONTROL.test(forTerminal(s))).toBe(false);
        expect(hasControl(forTerminal(s))).toBe(false);
      }),
    );
  });
});

describe('forMarkdown', () => {
  it('escapes what would change the layout, keeps identifiers readable', () => {
    expect(forMarkdown('TOA_MISSING')).toBe('TOA_MISSING');
    expect(forMarkdown('[click](http://x) <img> `c` *b* _i_ a|b')).toBe(
      '\\[click\\](http://x) \\<img\\> \\`c\\` \\*b\\* \\_i\\_ a\\|b',
    );
    expect(forMarkdown('# heading')).toBe('\\# heading');
    expect(forMarkdown('two\nlines')).toBe('two lines');
    expect(forMarkdown('\x1b[2J')).toBe('\\\\x1b\\[2J');
  });
  it('code spans: no backtick can end them, no control character gets in', () => {
    expect(forMarkdownCode('a`b\x1b')).toBe("a'b\\x1b");
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        const m = forMarkdown(s);
        expect(CONTROL.test(m)).toBe(false);
        expect(m.includes('\n')).toBe(false);
        expect(/(^|[^\\])[`|<[]/.test(m)).toBe(false);
        expect(CONTROL.test(forMarkdownCode(s)) || forMarkdownCode(s).includes('`')).toBe(false);
      }),
    );
  });
});

describe('forPromLabel', () => {
  it('writes backslash, double quote and line feed as the exposition format asks', () => {
    expect(forPromLabel('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    expect(forPromLabel('web-01.example')).toBe('web-01.example');
  });

  it('never leaves a bare quote or line feed that would end the label', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = forPromLabel(s);
        expect(out.includes('\n')).toBe(false);
        // every quote is preceded by an odd run of backslashes
        expect(/(^|[^\\])(\\\\)*"/.test(out)).toBe(false);
      }),
    );
  });
});
