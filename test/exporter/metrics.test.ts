/**
 * The METRICS table is the one source: the registry has exactly its rows; rows shared with
 * `host --format prometheus` have the same name, type and labels there; the README table, the
 * Prometheus rules and the Grafana dashboard name only metrics that exist; promtool accepts the
 * exporter's output, the rules and the rule unit tests.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { diagnoseHost } from '../../src/diagnose/host-rules.js';
import { Exporter } from '../../src/exporter/exporter.js';
import { DEFAULT_FINAL } from '../../src/exporter/final.js';
import { METRICS } from '../../src/exporter/metrics.js';
import { parseListen } from '../../src/exporter/server.js';
import { loadHostDir } from '../../src/host/snapshot.js';
import { renderHostPrometheus } from '../../src/report/host.js';
import { underCi } from '../helpers/netns.js';
import { hasBinary, promtool, samplesOf } from './helpers.js';

const REPO = new URL('../../', import.meta.url).pathname;
const README = readFileSync(`${REPO}README.md`, 'utf8');
const FIXTURE = `${REPO}fixtures/hosts/tencent-healthy`;

function promtoolSkip(): string | null {
  if (hasBinary('promtool')) return null;
  const reason = 'promtool is not installed (Debian package prometheus)';
  if (underCi()) throw new Error(`exporter tests cannot run under CI: ${reason}`);
  process.stderr.write(`[promtool tests skipped] ${reason}\n`);
  return reason;
}
const noPromtool = promtoolSkip();

function exporterOn(root: string | null): Exporter {
  return new Exporter({
    iface: 'lo',
    filterWords: [],
    listen: { host: '127.0.0.1', port: 9 },
    engine: 'tcpdump',
    profile: 'auto',
    maxFlows: 1000,
    final: DEFAULT_FINAL,
    portLabels: 4,
    hostRoot: root,
    dmesg: true,
    hostIntervalSec: 15,
    retrySec: 5,
    version: '0.0.0-test',
    log: () => undefined,
  });
}

/** `# TYPE` lines of a Prometheus text: name → type */
function types(text: string): Map<string, string> {
  return new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
}

function labelNames(text: string, name: string): Set<string> {
  const out = new Set<string>();
  for (const l of samplesOf(text, name).keys()) for (const m of l.matchAll(/(\w+)="/g)) out.add(m[1]!);
  return out;
}

describe('METRICS table', () => {
  it('names follow Prometheus conventions: prefix, _total exactly on counters, unique', () => {
    const names = METRICS.map((m) => m.name);
    expect(new Set(names).size).toBe(names.length);
    for (const m of METRICS) {
      expect(m.name).toMatch(/^toa_doctor_[a-z0-9_]+$/);
      expect(m.name.endsWith('_total'), m.name).toBe(m.type === 'counter');
      expect(m.help.length, m.name).toBeGreaterThan(10);
    }
  });

  it('the registry has exactly the rows of the table (plus process/nodejs defaults), same type and labels', async () => {
    const ex = exporterOn(FIXTURE);
    await ex.host!.look();
    ex.metrics.judged.inc({ verdict: 'TOA_OK', variant: 'toa-254-8', packet: 'ack', server_port: '80' });
    const text = await ex.registry.metrics();
    const t = types(text);
    const ours = [...t.keys()].filter((n) => n.startsWith('toa_doctor_'));
    expect(ours.sort()).toEqual(METRICS.map((m) => m.name).sort());
    for (const m of METRICS) {
      expect(t.get(m.name), m.name).toBe(m.type);
      const labels = labelNames(text, m.name);
      if (samplesOf(text, m.name).size && [...samplesOf(text, m.name).keys()].some((k) => k !== ''))
        expect([...labels].sort(), m.name).toEqual([...m.labels].sort());
    }
    for (const n of t.keys())
      expect(n.startsWith('toa_doctor_') || /^(process|nodejs)_/.test(n), n).toBe(true);
  });

  it('rows shared with `host --format prometheus` have its name, type and labels', async () => {
    const ev = await loadHostDir(FIXTURE);
    const textfile = renderHostPrometheus(ev, diagnoseHost(ev), { perCpu: false });
    const ex = exporterOn(FIXTURE);
    await ex.host!.look();
    const live = await ex.registry.metrics();
    const shared = METRICS.filter((m) => 'shared' in m && m.shared);
    expect(shared.length).toBeGreaterThan(5);
    const tf = types(textfile);
    for (const m of shared) {
      expect(tf.get(m.name), m.name).toBe(m.type);
      if (m.labels.length) {
        expect([...labelNames(textfile, m.name)].sort(), m.name).toEqual([...m.labels].sort());
        expect([...labelNames(live, m.name)].sort(), m.name).toEqual([...m.labels].sort());
      }
    }
    // same values for the same host
    for (const name of [
      'toa_doctor_module_state',
      'toa_doctor_module_loaded',
      'toa_doctor_stats_file_present',
    ])
      expect(samplesOf(live, name), name).toEqual(samplesOf(textfile, name));
  });

  it('the toa_stats counters are the file counters summed over CPUs', async () => {
    const ex = exporterOn(FIXTURE);
    await ex.host!.look();
    const live = await ex.registry.metrics();
    const stats = ex.host!.evidence!.snapshot.stats[0]!;
    expect(stats.counters.length).toBeGreaterThan(3);
    for (const c of stats.counters)
      expect(
        samplesOf(live, 'toa_doctor_toa_stats_total').get(`{file="toa_stats",counter="${c.name}"}`),
        c.name,
      ).toBe(Object.values(c.perCpu).reduce((a, b) => a + b, 0));
  });

  it("README's exporter section lists every metric, and no other", () => {
    const start = README.indexOf('## Prometheus exporter');
    const section = README.slice(start, README.indexOf('\n## ', start + 1));
    expect(start).toBeGreaterThan(0);
    const documented = [...section.matchAll(/^\| `(toa_doctor_[a-z0-9_]+)` \|/gm)].map((m) => m[1]!);
    expect(new Set(documented)).toEqual(new Set(METRICS.map((m) => m.name)));
  });

  it('rules and dashboard name only metrics that exist', () => {
    const known = new Set<string>(METRICS.map((m) => m.name));
    for (const f of ['contrib/prometheus/toa-doctor.rules.yml', 'contrib/grafana/toa-doctor.json']) {
      const text = readFileSync(`${REPO}${f}`, 'utf8');
      const used = new Set([...text.matchAll(/\b(toa_doctor_[a-z0-9_]+)/g)].map((m) => m[1]!));
      expect(used.size, f).toBeGreaterThan(5);
      expect(
        [...used].filter((n) => !known.has(n)),
        f,
      ).toEqual([]);
    }
    const dash = JSON.parse(readFileSync(`${REPO}contrib/grafana/toa-doctor.json`, 'utf8')) as {
      panels: Array<{ type: string; targets?: Array<{ expr: string }> }>;
    };
    expect(dash.panels.filter((p) => p.type !== 'row').every((p) => (p.targets ?? []).length > 0)).toBe(true);
  });

  it.skipIf(noPromtool !== null)('promtool check metrics accepts the exporter output', async () => {
    const ex = exporterOn(FIXTURE);
    await ex.host!.look();
    ex.metrics.judged.inc({ verdict: 'TOA_MISSING', variant: 'none', packet: 'none', server_port: 'other' });
    const r = promtool(['check', 'metrics'], await ex.registry.metrics());
    expect(r.out.trim(), r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it.skipIf(noPromtool !== null)(
    'promtool check rules and promtool test rules pass on contrib/prometheus',
    () => {
      const check = promtool(['check', 'rules', 'contrib/prometheus/toa-doctor.rules.yml']);
      expect(check.code, check.out).toBe(0);
      expect(check.out).toMatch(/SUCCESS: \d+ rules found/);
      const test = promtool(['test', 'rules', 'contrib/prometheus/toa-doctor.rules.test.yml']);
      expect(test.code, test.out).toBe(0);
      expect(test.out).toContain('SUCCESS');
    },
  );
});

describe('systemd unit', () => {
  const unit = readFileSync(`${REPO}contrib/systemd/toa-doctor-exporter@.service`, 'utf8');
  it('runs without root, with CAP_NET_RAW only, on a read-only system', () => {
    for (const line of [
      'DynamicUser=yes',
      'AmbientCapabilities=CAP_NET_RAW',
      'CapabilityBoundingSet=CAP_NET_RAW',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ProtectHome=yes',
    ])
      expect(unit.split('\n'), line).toContain(line);
    expect(unit).not.toMatch(/^User=root/m);
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/toa-doctor exporter %i /m);
  });
});

describe('--listen', () => {
  it('takes ADDR:PORT, [v6]:PORT, :PORT and PORT', () => {
    expect(parseListen('127.0.0.1:9877')).toEqual({ host: '127.0.0.1', port: 9877 });
    expect(parseListen('[::1]:9877')).toEqual({ host: '::1', port: 9877 });
    expect(parseListen(':9877')).toEqual({ host: undefined, port: 9877 });
    expect(parseListen('9877')).toEqual({ host: undefined, port: 9877 });
    for (const bad of ['', 'localhost', '1.2.3.4:0', '1.2.3.4:65536', '::1:80', 'a:b'])
      expect(parseListen(bad), bad).toBeNull();
  });
});
