/**
 * `toa-doctor exporter` against real kernels, inside two private network namespaces: crafted
 * handshakes with known verdicts (test/helpers/netns.ts SCENARIOS) complete in the server kernel
 * while the exporter captures on the server's veth end. A scrape must show exactly those counts,
 * pass `promtool check metrics`, and a real Prometheus server (Debian's /usr/bin/prometheus, on the
 * namespace's loopback) must return the same per-verdict counts over its HTTP API. Then the bad
 * conditions: an unreadable /proc file, the port in use, the interface disappearing (and coming back).
 * Last, the exporter as the systemd unit runs it: uid nobody with CAP_NET_RAW only.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADDR,
  buildFlow,
  createNetns,
  destroyNetns,
  injectFlows,
  liveSkipReason,
  type NetnsEnv,
  REPO,
  SCENARIOS,
  spawnIn,
  tcpdumpUnavailableReason,
} from '../helpers/netns.js';
import {
  getInNs,
  hasBinary,
  judgedByVerdict,
  type Proc,
  promtool,
  samplesOf,
  startExporterInNs,
  track,
} from './helpers.js';

const skip = liveSkipReason([
  tcpdumpUnavailableReason(),
  hasBinary('promtool') ? null : 'promtool is not installed (Debian package prometheus)',
  hasBinary('prometheus') ? null : 'prometheus is not installed (Debian package prometheus)',
]);

const LISTEN = '127.0.0.1:9877';
const METRICS = `http://${LISTEN}/metrics`;
const HEALTH = `http://${LISTEN}/healthz`;

function expectedCounts(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sc of SCENARIOS) out[sc.expect] = (out[sc.expect] ?? 0) + 1;
  return out;
}

async function until<T>(what: string, f: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await f();
  while (!ok(v)) {
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v).slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 300));
    v = await f();
  }
  return v;
}

describe.skipIf(skip !== null)('exporter in network namespaces', () => {
  let env: NetnsEnv;
  let exp: Proc;
  let hostDir: string;
  const expected = expectedCounts();
  const total = SCENARIOS.length;

  beforeAll(async () => {
    env = await createNetns();
    hostDir = join(env.tmp, 'host');
    cpSync(join(REPO, 'fixtures/hosts/tencent-healthy'), hostDir, { recursive: true });
    exp = startExporterInNs(env, [
      env.serverIf,
      '--listen',
      LISTEN,
      '--settle',
      '1',
      '--root',
      hostDir,
      '--host-interval',
      '1',
      '--retry',
      '1',
    ]);
    await exp.waitFor(/capturing on toad-s with tcpdump/);
  }, 60_000);

  afterAll(async () => {
    exp?.child.kill('SIGTERM');
    await destroyNetns(env);
  });

  it('a scrape shows every injected connection exactly once, by verdict', async () => {
    const flows = SCENARIOS.map((sc, i) => buildFlow(env, sc, 45_001 + i));
    const injected = await injectFlows(env, flows);
    expect(injected.filter((r) => !r.synAck).map((r) => r.name)).toEqual([]);
    const text = await until(
      'every connection judged',
      async () => (await getInNs(env.nsServer, METRICS)).body,
      (t) => Object.values(judgedByVerdict(t)).reduce((a, b) => a + b, 0) >= total,
    );
    expect(judgedByVerdict(text)).toEqual(expected);
    // counted once: the RSTs, the settle time and later sweeps do not count them again
    await new Promise((r) => setTimeout(r, 2500));
    const again = (await getInNs(env.nsServer, METRICS)).body;
    expect(judgedByVerdict(again)).toEqual(expected);
    const judged = samplesOf(again, 'toa_doctor_connections_judged_total');
    // the packet the TOA rode on, and the variant
    expect(judged.get('{verdict="TOA_OK",variant="toa-28-7",packet="syn",server_port="8080"}')).toBe(1);
    expect(judged.get('{verdict="TOA_SYN_ONLY",variant="toa-254-8",packet="syn",server_port="8080"}')).toBe(
      1,
    );
    expect(judged.get('{verdict="TOA_LATE",variant="toa-200-8",packet="data",server_port="8080"}')).toBe(1);
    expect(judged.get('{verdict="TOA_OK",variant="toa-254-8",packet="ack",server_port="8080"}')).toBe(1);
    // exporter health rows
    expect(samplesOf(again, 'toa_doctor_exporter_capture_up').get('')).toBe(1);
    expect(samplesOf(again, 'toa_doctor_exporter_packets_total').get('')).toBeGreaterThanOrEqual(total * 3);
    expect(
      samplesOf(again, 'toa_doctor_exporter_capture_info').get('{engine="tcpdump",iface="toad-s"}'),
    ).toBe(1);
    // host evidence from the fixture tree
    expect(samplesOf(again, 'toa_doctor_module_state').get('{module="toa",state="Live"}')).toBe(1);
    expect(
      samplesOf(again, 'toa_doctor_toa_stats_total').get('{file="toa_stats",counter="syn_recv_sock_no_toa"}'),
    ).toBe(47);
    const health = await getInNs(env.nsServer, HEALTH);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body).status).toBe('ok');
  }, 60_000);

  it('promtool check metrics passes on the scrape', async () => {
    const text = (await getInNs(env.nsServer, METRICS)).body;
    const r = promtool(['check', 'metrics'], text);
    expect(r.out.trim(), r.out).toBe('');
    expect(r.code).toBe(0);
  });

  it('a real Prometheus server scrapes it; its query API returns the per-verdict counts', async () => {
    const dir = join(env.tmp, 'prom');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: toa\n    static_configs:\n      - targets: ['${LISTEN}']\n`,
    );
    const prom = track(
      spawnIn(env, env.nsServer, '/usr/bin/prometheus', [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        '--web.listen-address=127.0.0.1:9090',
      ]),
    );
    try {
      await prom.waitFor(/Server is ready to receive web requests/, 30_000);
      const q = encodeURIComponent('sum by (verdict) (toa_doctor_connections_judged_total{job="toa"})');
      const got = await until(
        'Prometheus to have the counts',
        async () => {
          const r = await getInNs(env.nsServer, `http://127.0.0.1:9090/api/v1/query?query=${q}`);
          if (r.status !== 200) return {};
          const doc = JSON.parse(r.body) as {
            data: { result: Array<{ metric: { verdict: string }; value: [number, string] }> };
          };
          return Object.fromEntries(doc.data.result.map((x) => [x.metric.verdict, Number(x.value[1])]));
        },
        (v) => Object.values(v).reduce((a: number, b) => a + (b as number), 0) >= total,
        30_000,
      );
      expect(got).toEqual(expected);
      const up = await getInNs(env.nsServer, `http://127.0.0.1:9090/api/v1/query?query=up`);
      expect(up.body).toContain('"value"');
    } finally {
      prom.child.kill('SIGTERM');
      await Promise.race([prom.exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (prom.child.exitCode === null) prom.child.kill('SIGKILL');
    }
  }, 90_000);

  it('an unreadable /proc file: one log line, host_up 0, /healthz names it, the rest is served', async () => {
    const stats = join(hostDir, 'proc/net/toa_stats');
    rmSync(stats);
    mkdirSync(stats); // unreadable for everyone, root included (a chmod would not stop root)
    await exp.waitFor(/host: \/proc\/net\/toa_stats: not a regular file/);
    const h = await until(
      '/healthz to name the file',
      () => getInNs(env.nsServer, HEALTH),
      (r) => r.body.includes('toa_stats'),
    );
    expect(h.status).toBe(200); // still capturing
    const body = JSON.parse(h.body) as { status: string; problems: string[] };
    expect(body.status).toBe('degraded');
    expect(body.problems.some((p) => p.includes('/proc/net/toa_stats'))).toBe(true);
    const text = (await getInNs(env.nsServer, METRICS)).body;
    expect(samplesOf(text, 'toa_doctor_host_up').get('')).toBe(0);
    expect(samplesOf(text, 'toa_doctor_module_state').get('{module="toa",state="Live"}')).toBe(1);
    expect(judgedByVerdict(text)).toEqual(expected);
    // logged once, not once per look
    await new Promise((r) => setTimeout(r, 2500));
    expect(exp.stderr().match(/host: \/proc\/net\/toa_stats: not a regular file/g)?.length).toBe(1);
  }, 30_000);

  it('the port in use: one clear line, a hint, exit 2', async () => {
    const second = startExporterInNs(env, [env.serverIf, '--listen', LISTEN, '--no-host']);
    const code = await second.exited;
    expect(code).toBe(2);
    expect(second.stderr()).toMatch(
      /^toa-doctor: cannot listen on 127\.0\.0\.1:9877: the address is in use\n {2}hint: /,
    );
    expect(second.stderr()).not.toMatch(/\bat .*\.js:\d+/);
  }, 30_000);

  it('the interface disappears: logged, /healthz 503 says why, /metrics still served; it comes back', async () => {
    spawnIn(env, env.nsServer, 'ip', ['link', 'del', env.serverIf]);
    await exp.waitFor(/capture on toad-s ended: .*retrying every 1 s/, 20_000);
    const h = await until(
      '/healthz 503',
      () => getInNs(env.nsServer, HEALTH),
      (r) => r.status === 503,
    );
    const body = JSON.parse(h.body) as { status: string; problems: string[] };
    expect(body.status).toBe('down');
    expect(body.problems.join('\n')).toMatch(/toad-s/);
    const text = (await getInNs(env.nsServer, METRICS)).body;
    expect(samplesOf(text, 'toa_doctor_exporter_capture_up').get('')).toBe(0);
    expect(judgedByVerdict(text)).toEqual(expected);
    // the interface comes back: the retry picks it up
    const run = (args: string[]) => spawnIn(env, env.nsServer, 'ip', args);
    await new Promise((r) =>
      run(['link', 'add', 'name', ADDR.serverIf, 'type', 'veth', 'peer', 'name', 'toad-x']).on('exit', r),
    );
    await new Promise((r) => run(['link', 'set', ADDR.serverIf, 'up']).on('exit', r));
    await until(
      'capture back up',
      () => getInNs(env.nsServer, HEALTH),
      (r) => r.status === 200,
      20_000,
    );
    const back = (await getInNs(env.nsServer, METRICS)).body;
    expect(samplesOf(back, 'toa_doctor_exporter_capture_up').get('')).toBe(1);
    expect(judgedByVerdict(back)).toEqual(expected);
  }, 60_000);
});

describe.skipIf(skip !== null)('exporter without root, as the systemd unit runs it', () => {
  let env: NetnsEnv;
  beforeAll(async () => {
    env = await createNetns();
  }, 60_000);
  afterAll(async () => {
    await destroyNetns(env);
  });

  // uid nobody when it can read the checkout (a clone under /root may not be); else uid 0 with every
  // capability dropped but CAP_NET_RAW, which still shows that capture needs nothing else
  const nobodyReads =
    spawnSync(
      'setpriv',
      [
        '--reuid=65534',
        '--regid=65534',
        '--clear-groups',
        'sh',
        '-c',
        'test -r "$1" && test -r "$2"',
        'sh',
        join(REPO, 'dist/cli/exporter.js'),
        join(REPO, 'node_modules/prom-client/package.json'),
      ],
      { stdio: 'ignore' },
    ).status === 0;
  const uid = nobodyReads ? 65534 : 0;

  it(`CAP_NET_RAW alone is enough to capture and judge (uid ${uid}, no other capability)`, async () => {
    if (!nobodyReads)
      process.stderr.write(
        '[exporter test] the checkout is not readable by nobody: uid 0 without capabilities\n',
      );
    const exp = track(
      spawnIn(env, env.nsServer, 'setpriv', [
        `--reuid=${uid}`,
        `--regid=${uid}`,
        '--clear-groups',
        '--inh-caps=-all,+net_raw',
        '--ambient-caps=-all,+net_raw',
        '--bounding-set=-all,+net_raw',
        '--no-new-privs',
        process.execPath,
        join(REPO, 'bin/toa-doctor.js'),
        'exporter',
        env.serverIf,
        '--listen',
        LISTEN,
        '--settle',
        '1',
        '--no-host',
      ]),
    );
    try {
      await exp.waitFor(/capturing on toad-s with tcpdump/);
      const picked = SCENARIOS.filter((s) =>
        ['toa-254-8 ack', 'no toa', 'syn-only toa-254-8'].includes(s.name),
      );
      expect(picked).toHaveLength(3);
      await injectFlows(
        env,
        picked.map((sc, i) => buildFlow(env, sc, 47_001 + i)),
      );
      const text = await until(
        'three connections judged',
        async () => (await getInNs(env.nsServer, METRICS)).body,
        (t) => Object.values(judgedByVerdict(t)).reduce((a, b) => a + b, 0) >= 3,
      );
      expect(judgedByVerdict(text)).toEqual({ TOA_OK: 1, TOA_MISSING: 1, TOA_SYN_ONLY: 1 });
      // it really runs as nobody with CAP_NET_RAW only (CapEff 0x2000 = bit 13)
      const status = await getInNs(env.nsServer, HEALTH);
      expect(status.status).toBe(200);
      const pid = exp.child.pid!;
      const st = readFileSync(`/proc/${pid}/status`, 'utf8');
      expect(st).toMatch(new RegExp(`^Uid:\\s+${uid}\\s`, 'm'));
      expect(st).toMatch(/^CapEff:\s+0000000000002000$/m);
    } finally {
      exp.child.kill('SIGTERM');
      await Promise.race([exp.exited, new Promise((r) => setTimeout(r, 5000))]);
    }
  }, 60_000);
});
