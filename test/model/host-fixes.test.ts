/**
 * Host-side corrections from the modules' own source: the TTGW init failure line (three n's),
 * kallsyms advice that follows the snapshot's kernel, AliKernel's 6-counter set, and Huawei-style
 * evidence (also printed by userid/lvs_toa, which reads 200/8) not raising a false kind mismatch.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import { classifyLine, loadHostDir, parseStatsFile } from '../../src/host/index.js';
import { hostModelGuess } from '../../src/host/model.js';
import { connection, toaOption } from '../helpers/packets.js';
import { captureOf } from '../helpers/scenarios.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const fixture = (h: string) => join(ROOT, 'fixtures/hosts', h);

describe('TTGW init failure', () => {
  it('the line as the source prints it is a TTGW load failure', () => {
    const e = classifyLine('toa: toa_init: cannnot find sock_def_readable.');
    expect(e).toMatchObject({ kind: 'failure', impl: 'ttgw' });
  });
  it('the host finding names the cause', async () => {
    const ev = await loadHostDir(fixture('ttgw-init-failed'));
    const f = diagnoseHost(ev).find((x) => x.code === 'HOST_MODULE_LOAD_FAILED')!;
    expect(f.explanation).toContain('cannnot find sock_def_readable');
    expect(f.remediation).toContain('could not find sock_def_readable through kallsyms_lookup_name');
    expect(f.remediation).toContain('grep sock_def_readable /proc/kallsyms');
  });
});

describe('kallsyms_lookup_name advice follows the kernel', () => {
  it('2.6.32 (Huawei/TCP_option_address#14) is not the ">= 5.7 unexported" case', async () => {
    const ev = await loadHostDir(fixture('kallsyms-2.6.32'));
    const r = diagnoseHost(ev).find((x) => x.code === 'HOST_MODULE_LOAD_FAILED')!.remediation;
    expect(r).toContain('2.6.32-754.el6.x86_64 is older than 5.7');
    expect(r).not.toContain('kernels >= 5.7 no longer export');
  });
  it('on 5.10 the advice is the kprobe one', async () => {
    const ev = await loadHostDir(fixture('kallsyms-2.6.32'));
    ev.snapshot.kernel = { ...ev.snapshot.kernel, release: '5.10.0-21-amd64', numeric: [5, 10, 0] };
    const r = diagnoseHost(ev).find((x) => x.code === 'HOST_MODULE_LOAD_FAILED')!.remediation;
    expect(r).toContain('kernels >= 5.7 no longer export it (5.10.0-21-amd64)');
  });
});

describe('AliKernel built without IPv6', () => {
  const text = [
    '                                  CPU0       CPU1       ',
    'syn_recv_sock_toa        :       812        790 ',
    'syn_recv_sock_no_toa     :         2          1 ',
    'getname_toa_ok_v4        :       812        790 ',
    'getname_toa_mismatch     :         0          0 ',
    'getname_toa_bypass       :         0          0 ',
    'getname_toa_empty        :     30110      29876 ',
    '',
  ].join('\n');
  it('its 6 counters are the AliKernel set, not unknown and not vtoa', () => {
    const f = parseStatsFile(text);
    expect(f.counterSet).toBe('alikernel');
    expect(f.unknownCounters).toEqual([]);
  });
  it('the model built from that evidence reads 254/8 only', async () => {
    const ev = await loadHostDir(fixture('vtoa-hookers'));
    ev.implementations = ['alikernel'];
    ev.snapshot.stats = [parseStatsFile(text)];
    const g = hostModelGuess(ev)!;
    expect(g).toMatchObject({ model: 'alikernel', accepts: ['toa-254-8'] });
    expect(g.why).toContain('6-counter set: built without IPv6');
  });
});

describe('Huawei-style evidence and 200/8 (userid/lvs_toa also reads it)', () => {
  it('no kind mismatch: judged as lvs_toa, and the report says why', () => {
    const dir = mkdtempSync(join(tmpdir(), 'toa-lvs-'));
    const f = join(dir, 'c.pcap');
    writeFileSync(
      f,
      captureOf([
        connection({
          client: '10.0.0.9',
          server: '10.0.1.5',
          cport: 30001,
          sport: 80,
          ackOptions: toaOption(200, '203.0.113.61', 40001),
        }),
      ]),
    );
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'bin/toa-doctor.js'),
        'read',
        f,
        '--json',
        '--flows',
        'all',
        '--host-dir',
        fixture('huawei-ipv4-dualstack-listener'),
      ],
      { encoding: 'utf8' },
    );
    const d = JSON.parse(r.stdout);
    expect(d.summary.model).toMatchObject({ id: 'lvs_toa', chosenBy: 'host' });
    expect(d.summary.model.why).toContain('userid/lvs_toa');
    expect(d.flows[0].verdict).toBe('TOA_OK');
    const codes = d.findings.map((x: { code: string }) => x.code);
    expect(codes).not.toContain('KIND_MISMATCH');
    expect(codes).not.toContain('CORR_KIND_NOT_ACCEPTED');
  });
});
