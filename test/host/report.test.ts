import { describe, expect, it } from 'vitest';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import { loadHostDir } from '../../src/host/snapshot.js';
import {
  HOST_REPORT_SCHEMA,
  hostToJson,
  renderHostMarkdown,
  renderHostPrometheus,
  renderHostText,
} from '../../src/report/host.js';

const dir = (c: string) => new URL(`../../fixtures/hosts/${c}`, import.meta.url).pathname;
const ESC = String.fromCharCode(27);

async function load(c: string) {
  const ev = await loadHostDir(dir(c));
  return { ev, findings: diagnoseHost(ev) };
}

describe('renderHostText', () => {
  it('shows host, modules, counters, kernel log, listeners and findings, without colour when asked', async () => {
    const { ev, findings } = await load('huawei-ipv4-dualstack-listener');
    const t = renderHostText(ev, findings, { color: false });
    expect(t).not.toContain(ESC);
    expect(t).toMatch(/^Host elb-rs-07 · kernel 4\.19\.36-vhulk/);
    expect(t).toContain('Implementation: Huawei TCP_option_address or userid/lvs_toa (reads 254/8, 200/8)');
    expect(t).toMatch(/│ toa\s+│ Live\s+│ OE/);
    expect(t).toMatch(/│ syn_recv_sock_no_toa\s+│ 37\s+│ 5 /);
    expect(t).toContain('hook    [20.120402] TOA: CPU [3] hooked inet_getname');
    expect(t).toMatch(/│ 8080 │ \[::\]\s+│ IPv6 path/);
    expect(t).toContain('Findings (1 error, 1 warning, 2 info)');
    expect(t).toMatch(/ERROR\s+HOST_IPV6_LISTENER_IPV4_HOOKS/);
  });
  it('showFindings: false omits the findings section (embedding in `read`)', async () => {
    const { ev, findings } = await load('no-module');
    expect(renderHostText(ev, findings, { color: false, showFindings: false })).not.toContain('Findings');
    expect(renderHostMarkdown(ev, findings, { showFindings: false })).not.toMatch(/Findings/);
  });
  it('colours severities when asked', async () => {
    const { ev, findings } = await load('no-module');
    expect(renderHostText(ev, findings, { color: true })).toContain(ESC);
  });
  it('shows deltas in the counter table with two snapshots', async () => {
    const { ev, findings } = await load('deltas-kind-mismatch');
    const t = renderHostText(ev, findings, { color: false });
    expect(t).toMatch(/│ counter\s+│ total │ Δ 60s │ CPU0 │ CPU1 │/);
    expect(t).toMatch(/│ syn_recv_sock_no_toa\s+│ 1120\s+│ \+120\s+│ 572/);
    expect(t).toContain('New connections (PassiveOpens) in 60.0 s: +120');
  });
  it('summarises per-CPU values when there are more than 8 CPUs', async () => {
    const { ev, findings } = await load('tencent-healthy');
    ev.snapshot.stats[0]!.cpus = Array.from({ length: 16 }, (_, i) => String(i));
    expect(renderHostText(ev, findings, { color: false })).toContain('per CPU (16)');
  });
  it('an unrecognised stats file shows its first lines', async () => {
    const { ev } = await load('ttgw');
    ev.snapshot.stats[0] = { ...ev.snapshot.stats[0]!, layout: 'unrecognised', firstLines: ['weird header'] };
    expect(renderHostText(ev, [], { color: false })).toContain('  weird header');
  });
});

describe('hostToJson', () => {
  it('is versioned, serialisable and carries findings and counters', async () => {
    const { ev, findings } = await load('deltas-kind-mismatch');
    const j = JSON.parse(JSON.stringify(hostToJson(ev, findings, { toolVersion: '9.9.9' })));
    expect(j.schema).toBe(HOST_REPORT_SCHEMA);
    expect(j.tool.version).toBe('9.9.9');
    expect(j.summary).toEqual({ error: 1, warning: 0, info: 1 });
    expect(j.findings[0].code).toBe('HOST_NO_TOA_RISING');
    expect(j.stats[0].totals.syn_recv_sock_no_toa).toBe(1120);
    expect(j.deltas.normalized.synRecvNoToa).toBe(120);
    expect(j.implementations[0]).toMatchObject({ id: 'huawei', accepts: ['toa-254-8', 'toa-200-8'] });
    expect(j).not.toHaveProperty('raw');
  });
});

describe('renderHostMarkdown', () => {
  it('headings, findings and pipe tables', async () => {
    const { ev, findings } = await load('loaded-but-dead');
    const m = renderHostMarkdown(ev, findings);
    expect(m).toMatch(/^# toa-doctor host report: dpvs-rs-4\n/);
    expect(m).toContain('### ERROR `HOST_MODULE_LOADED_BUT_DEAD`');
    expect(m).toContain('| module | state | taint | parameters |');
    expect(m).toContain('| toa | Live | OE |  |');
    expect(m).toContain("do_init_module: 'toa'->init suspiciously returned 1");
  });
  it('escapes pipes inside cells', async () => {
    const { ev, findings } = await load('ucloud');
    ev.snapshot.modules[0]!.parameters = { x: 'a|b' };
    expect(renderHostMarkdown(ev, findings)).toContain('x=a\\|b');
  });
});

/** Prometheus text exposition: every non-comment line is `name{labels} value` and every series has HELP/TYPE. */
function checkExposition(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.trimEnd().split('\n')) {
    if (line.startsWith('# HELP ')) continue;
    const t = /^# TYPE (\w+) (counter|gauge)$/.exec(line);
    if (t) {
      types.set(t[1]!, t[2]!);
      continue;
    }
    const m = /^([a-z_][a-z0-9_]*)(\{(?:[a-z_]+="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$/.exec(line);
    expect(m, line).not.toBeNull();
    expect(types.has(m![1]!), `TYPE before ${m![1]}`).toBe(true);
  }
  return types;
}

describe('renderHostPrometheus', () => {
  it('per-CPU counters, module state, findings by code and severity, scrape timestamp; no sample timestamps', async () => {
    const { ev, findings } = await load('dpvs-ipv6');
    const p = renderHostPrometheus(ev, findings);
    const types = checkExposition(p);
    expect(types.get('toa_doctor_counter_total')).toBe('counter');
    expect(p).toContain(
      'toa_doctor_counter_total{file="toa_stats",counter="syn_recv_sock_toa",cpu="0"} 1520',
    );
    expect(p).toContain(
      'toa_doctor_counter_total{file="toa_stats",counter="syn_recv_sock_toa",cpu="1"} 1498',
    );
    expect(p).toContain('toa_doctor_module_loaded{module="toa"} 1');
    expect(p).toContain('toa_doctor_module_loaded{module="vtoa"} 0');
    expect(p).toContain('toa_doctor_module_state{module="toa",state="Live"} 1');
    expect(p).toContain('toa_doctor_stats_file_present{file="toa_stats"} 1');
    expect(p).toContain('toa_doctor_findings{code="HOST_IP6_ADDRESS_GAP",severity="info"} 1');
    expect(p).toContain('toa_doctor_findings_by_severity{severity="error"} 0');
    expect(p).toContain('toa_doctor_hooked{family="ipv6"} 1');
    expect(p).toContain('toa_doctor_passive_opens_total 3021');
    expect(p).toContain(`toa_doctor_scrape_timestamp_seconds ${Date.parse('2024-05-01T10:00:00Z') / 1000}`);
  });
  it('cpu="all" without per-CPU series', async () => {
    const { ev, findings } = await load('ttgw');
    const p = renderHostPrometheus(ev, findings, { perCpu: false });
    checkExposition(p);
    expect(p).toContain('toa_doctor_counter_total{file="toa_stats",counter="GET_V4",cpu="all"} 48');
    expect(p).not.toMatch(/cpu="0"/);
  });
  it('escapes label values', async () => {
    const { ev, findings } = await load('no-module');
    ev.snapshot.hostname = 'a"b\\c\nd';
    const p = renderHostPrometheus(ev, findings);
    checkExposition(p);
    expect(p).toContain('hostname="a\\"b\\\\c\\nd"');
    expect(p).toContain('toa_doctor_findings{code="HOST_MODULE_NOT_LOADED",severity="error"} 1');
  });
});
