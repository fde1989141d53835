/**
 * Bundles from real captures: inside the live tests' network namespaces, crafted handshakes carrying
 * each TOA variant complete in a real server kernel while `toa-doctor bundle -i` (cap and tcpdump
 * engines) or the collector script (dash, busybox ash + tcpdump) captures on the server's veth end.
 * Reading the bundle back must give every injected flow its expected verdict — also anonymized.
 */
import type { ChildProcess } from 'node:child_process';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveKey, IpAnonymizer } from '../../src/bundle/anonymize.js';
import { readArchive } from '../../src/bundle/archive.js';
import { collectorScript } from '../../src/bundle/collector.sh.js';
import { readBundle } from '../../src/bundle/read.js';
import {
  ADDR,
  buildFlow,
  capUnavailableReason,
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
import { commandMissingReason } from '../helpers/tools.js';
import { FIXTURE_ROOT, flowVerdicts, tmp } from './helpers.js';

const skipAll = liveSkipReason([tcpdumpUnavailableReason()]);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run a command in the server namespace; `during` runs once stderr matches `ready`. */
function runInServer(
  env: NetnsEnv,
  cmd: string,
  args: string[],
  ready: RegExp,
  during: (child: ChildProcess) => Promise<'SIGINT' | undefined>,
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawnIn(env, env.nsServer, cmd, args, { env: { ...process.env, ...extraEnv } });
    let stdout = '';
    let stderr = '';
    let started = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`did not finish; stderr: ${stderr}`));
    }, 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!started && ready.test(stderr)) {
        started = true;
        during(child).then(
          (sig) => {
            if (sig) child.kill(sig);
          },
          (e) => {
            child.kill('SIGKILL');
            reject(e);
          },
        );
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function clientOf(sc: { family?: 4 | 6 }, cport: number): string {
  return sc.family === 6 ? `${ADDR.client6}:${cport}` : `${ADDR.client4}:${cport}`;
}

async function verdictsOfBundle(path: string) {
  const b = await readBundle(path);
  try {
    expect(b.problems.filter((p) => p.severity === 'error')).toEqual([]);
    expect(b.capture).not.toBeNull();
    return { verdicts: await flowVerdicts(b.capture!), manifest: b.manifest!, hostDir: b.hostDir };
  } finally {
    await b.close();
  }
}

describe.skipIf(skipAll !== null)('bundles of live captures in network namespaces', () => {
  let env: NetnsEnv;
  let dir: string;
  beforeAll(async () => {
    env = await createNetns();
    dir = await tmp('toa-live-bundle-');
  });
  afterAll(async () => {
    await destroyNetns(env);
    await rm(dir, { recursive: true, force: true });
  });

  const engines: Array<['cap' | 'tcpdump', number, string | null]> = [
    ['cap', 47000, capUnavailableReason()],
    ['tcpdump', 48000, null],
  ];
  for (const [engine, basePort, engineSkip] of engines) {
    const skip = engineSkip ? liveSkipReason([engineSkip]) : null;
    it.skipIf(skip !== null)(
      `bundle -i --engine ${engine}, ended by Ctrl-C: read gives every flow its verdict`,
      async () => {
        const out = join(dir, `live-${engine}.tar.gz`);
        const flows = SCENARIOS.map((sc, i) => buildFlow(env, sc, basePort + i + 1));
        const run = await runInServer(
          env,
          process.execPath,
          [
            join(REPO, 'bin/toa-doctor.js'),
            'bundle',
            '-i',
            env.serverIf,
            '--engine',
            engine,
            '--duration',
            '30',
            '-o',
            out,
          ],
          /capturing on /,
          async () => {
            await injectFlows(env, flows);
            return 'SIGINT';
          },
        );
        expect(run.code, run.stderr).not.toBe(2);
        expect(run.stdout.trim(), run.stderr).toBe(out);
        const { verdicts, manifest } = await verdictsOfBundle(out);
        expect(manifest.capture.interrupted).toBe(true);
        expect(manifest.capture.source).toBe('live');
        expect(manifest.capture.engine).toBe(engine);
        expect(Number(manifest.capture.durationActual)).toBeLessThan(30);
        const byClient = new Map(verdicts.map((v) => [v.client, v.verdict]));
        expect(SCENARIOS.map((sc, i) => [sc.name, byClient.get(clientOf(sc, basePort + i + 1))])).toEqual(
          SCENARIOS.map((sc) => [sc.name, sc.expect]),
        );
        // host evidence of the namespace itself (root /): the test server's listener is there
        const a = await readArchive(await readFile(out));
        const tcp = `${a.members.get('host/after/proc/net/tcp')?.data}${a.members.get('host/after/proc/net/tcp6')?.data}`;
        expect(tcp).toContain(':1F90'); // port 8080
        expect(a.members.has('report.json')).toBe(true);
      },
    );
  }

  it('anonymized live bundle: same verdicts on mapped addresses, no original address left', async () => {
    const out = join(dir, 'live-anon.tar.gz');
    const key = 'live test key';
    const base = 49000;
    const flows = SCENARIOS.map((sc, i) => buildFlow(env, sc, base + i + 1));
    const run = await runInServer(
      env,
      process.execPath,
      [
        join(REPO, 'bin/toa-doctor.js'),
        'bundle',
        '-i',
        env.serverIf,
        '--engine',
        'tcpdump',
        '--duration',
        '30',
        '--anonymize-key',
        key,
        '--root',
        FIXTURE_ROOT,
        '-o',
        out,
      ],
      /capturing on /,
      async () => {
        await injectFlows(env, flows);
        return 'SIGINT';
      },
    );
    expect(run.code, run.stderr).not.toBe(2);
    const ip = new IpAnonymizer(deriveKey(key).key);
    const { verdicts, manifest } = await verdictsOfBundle(out);
    expect(manifest.anonymized).toBe(true);
    const byClient = new Map(verdicts.map((v) => [v.client, v.verdict]));
    const mapped = (sc: { family?: 4 | 6 }, p: number) =>
      `${ip.mapText(sc.family === 6 ? ADDR.client6 : ADDR.client4)}:${p}`;
    expect(SCENARIOS.map((sc, i) => [sc.name, byClient.get(mapped(sc, base + i + 1))])).toEqual(
      SCENARIOS.map((sc) => [sc.name, sc.expect]),
    );
    const a = await readArchive(await readFile(out));
    const needles = [ADDR.client4, ADDR.server4, ADDR.client6, ADDR.server6, '198.51.100.1', 'clb-rs-01'];
    const hits: string[] = [];
    for (const [name, m] of a.members)
      for (const n of needles) if (m.data.toString('latin1').includes(n)) hits.push(`${name}: ${n}`);
    expect(hits).toEqual([]);
  });

  for (const shell of ['dash', 'busybox ash']) {
    const missing = commandMissingReason(shell.split(' ')[0]!);
    const skip = missing ? liveSkipReason([missing]) : null;
    it.skipIf(skip !== null)(
      `collector script under ${shell}: tcpdump capture read back with the same verdicts`,
      async () => {
        const script = join(dir, 'collect.sh');
        const { writeFile } = await import('node:fs/promises');
        await writeFile(script, collectorScript('0.0.0-test'));
        const out = join(dir, `collector-${shell.replace(' ', '-')}.tar.gz`);
        const base = shell === 'dash' ? 50000 : 51000;
        const flows = SCENARIOS.map((sc, i) => buildFlow(env, sc, base + i + 1));
        const [cmd, ...pre] = shell.split(' ');
        const run = await runInServer(
          env,
          cmd!,
          [...pre, script, '-i', env.serverIf, '-d', '30', '-p', String(env.port), '-o', out],
          /capturing on /,
          async () => {
            await injectFlows(env, flows);
            await new Promise((r) => setTimeout(r, 300));
            return 'SIGINT';
          },
          { TOA_ROOT: FIXTURE_ROOT },
        );
        expect(run.code, run.stderr).toBe(0);
        expect((await stat(out)).size).toBeGreaterThan(0);
        const { verdicts, manifest, hostDir } = await verdictsOfBundle(out);
        expect(manifest.generator).toBe('collector-script');
        expect(manifest.capture.source).toBe('tcpdump');
        expect(manifest.capture.interrupted).toBe(true);
        expect(manifest.members.every((m) => typeof m.sha256 === 'string')).toBe(true);
        expect(hostDir?.endsWith('host')).toBe(true);
        const byClient = new Map(verdicts.map((v) => [v.client, v.verdict]));
        expect(SCENARIOS.map((sc, i) => [sc.name, byClient.get(clientOf(sc, base + i + 1))])).toEqual(
          SCENARIOS.map((sc) => [sc.name, sc.expect]),
        );
      },
    );
  }
});
