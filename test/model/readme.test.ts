/** The README's module table and the model table agree both ways. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MODULE_MODELS } from '../../src/model/modules.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const section = README.slice(
  README.indexOf('### Module models'),
  README.indexOf('**How the model is chosen**'),
);

describe('README module table', () => {
  it('has one row per model, with its aliases, packet read and first/last', () => {
    for (const m of MODULE_MODELS) {
      const names = [`\`${m.id}\``, ...m.aliases.map((a) => `\`${a}\``)].join(', ');
      const row = section.split('\n').find((l) => l.startsWith(`| ${names} |`));
      expect(row, m.id).toBeDefined();
      expect(row).toContain(`| ${m.reads} | ${m.pick} |`);
    }
  });
  it('has no row for a model the table lacks', () => {
    const rows = section.split('\n').filter((l) => /^\| `/.test(l));
    expect(rows).toHaveLength(MODULE_MODELS.length);
  });
});
