/**
 * The module-model table and what is derived from it agree: every variant id a row names exists in
 * the decode table, every name --profile accepts is a row or an alias, the fast masks judge() reads
 * are exactly the rows' variant lists, and every implementation the host can identify has a row.
 */
import { describe, expect, it } from 'vitest';
import { TOA_VARIANTS } from '../../src/decode/index.js';
import { judgeModel, READ_ACK, READ_EITHER, READ_SYN } from '../../src/flow/profiles.js';
import { PROFILES } from '../../src/flow/types.js';
import { IMPLEMENTATIONS } from '../../src/host/identify.js';
import { chooseModel } from '../../src/model/choose.js';
import { findModel, MODULE_MODELS, modelNames, withKinds } from '../../src/model/modules.js';

const ids = new Set(TOA_VARIANTS.map((v) => v.id));

describe('module-model table', () => {
  it('names only variants the decode table knows', () => {
    for (const m of MODULE_MODELS)
      for (const id of [
        ...m.accepts,
        ...(m.extensions ?? []),
        ...m.nat64Api,
        ...(m.notClient ?? []).map((x) => x.variant),
      ])
        expect(ids.has(id), `${m.id}: ${id}`).toBe(true);
  });
  it('ids and aliases are unique, and --profile accepts exactly them', () => {
    const names = modelNames();
    expect(new Set(names).size).toBe(names.length);
    expect([...PROFILES].sort()).toEqual([...names].sort());
  });
  it('every row but auto cites where its behaviour was read', () => {
    for (const m of MODULE_MODELS) if (m.id !== 'auto') expect(m.source.length, m.id).toBeGreaterThan(0);
  });
  it('NAT64 API variants are variants the model reads', () => {
    for (const m of MODULE_MODELS)
      if (m.id !== 'auto') for (const v of m.nat64Api) expect(m.accepts, m.id).toContain(v);
  });
  it('every implementation the host identifies is a build in the table', () => {
    for (const i of IMPLEMENTATIONS)
      expect(
        MODULE_MODELS.some((m) => m.impl === i.id),
        i.id,
      ).toBe(true);
  });
});

describe('fast masks agree with the readable rows', () => {
  for (const m of MODULE_MODELS) {
    it(m.id, () => {
      const j = judgeModel(m);
      const accepted = TOA_VARIANTS.filter((_, i) => j.accept[i] === 1).map((v) => v.id);
      if (m.id === 'auto')
        expect(accepted).toEqual(TOA_VARIANTS.filter((v) => v.carriesClient).map((v) => v.id));
      else expect(accepted.sort()).toEqual([...m.accepts].sort());
      expect(
        TOA_VARIANTS.filter((_, i) => j.nat64[i] === 1)
          .map((v) => v.id)
          .sort(),
      ).toEqual([...m.nat64Api].sort());
      expect(j.reads).toBe({ ack: READ_ACK, syn: READ_SYN, 'syn-or-ack': READ_EITHER }[m.reads]);
      expect(j.pickLast).toBe(m.pick === 'last');
      expect(j.named).toBe(m.id !== 'auto');
    });
  }
});

describe('choosing the model', () => {
  it('--profile wins over the host; older names resolve to their row', () => {
    const c = chooseModel('tencent', { model: 'dpvs', kinds: [], why: 'x' });
    expect(c).toMatchObject({ by: 'profile', model: { id: 'tgw_toa' } });
    expect(c.why).toBe('--profile tencent (older profile name for tgw_toa)');
  });
  it('without --profile the host names the model, with its configured kinds', () => {
    const c = chooseModel(undefined, { model: 'ip_vs_ca', kinds: [254], why: 'host says so' });
    expect(c).toMatchObject({
      by: 'host',
      why: 'host says so',
      model: { id: 'ip_vs_ca', accepts: ['toa-254-8'] },
    });
  });
  it('nothing known: auto, and the report adds nothing', () => {
    expect(chooseModel(undefined, null)).toMatchObject({ by: 'default', model: { id: 'auto' } });
  });
  it('the CDN opcode map replaces both kinds', () => {
    expect(withKinds(findModel('ebpf-cdn')!, [29, 253]).accepts).toEqual([
      'toa-29-7',
      'toa-29-19',
      'toa-253-8',
      'toa-253-20',
    ]);
  });
});
