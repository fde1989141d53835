/**
 * Exporter test helpers: run `toa-doctor exporter` (and Prometheus) inside a test namespace, and
 * make HTTP requests from inside it (the namespaces' loopback is not reachable from the host).
 */
import type { ChildProcess } from 'node:child_process';
import { execFile, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type NetnsEnv, REPO, spawnIn } from '../helpers/netns.js';

const execFileP = promisify(execFile);

export interface Proc {
  child: ChildProcess;
  /** everything written to stderr so far */
  stderr(): string;
  /** resolves when stderr matches (rejects after timeoutMs with the stderr so far) */
  waitFor(re: RegExp, timeoutMs?: number): Promise<void>;
  /** resolves with the exit code (null when killed by a signal) */
  exited: Promise<number | null>;
}

export function track(child: ChildProcess): Proc {
  let err = '';
  const waiters: Array<{ re: RegExp; done: () => void }> = [];
  child.stdout?.on('data', () => undefined);
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    for (const w of [...waiters])
      if (w.re.test(err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.done();
      }
  });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 20_000) {
      if (re.test(err)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${re}; stderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          re,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** `toa-doctor exporter ARGS` inside the server namespace */
export function startExporterInNs(env: NetnsEnv, args: string[]): Proc {
  return track(
    spawnIn(env, env.nsServer, process.execPath, [join(REPO, 'bin/toa-doctor.js'), 'exporter', ...args]),
  );
}

const FETCH = `
const [url] = process.argv.slice(1);
fetch(url).then(async (r) => {
  process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), body: await r.text() }));
}, (e) => { process.stdout.write(JSON.stringify({ status: 0, type: null, body: String(e.cause?.code ?? e.message) })); });
`;

export interface HttpResult {
  status: number;
  type: string | null;
  body: string;
}

/** GET a URL from inside a namespace (status 0: connection failed, body says why) */
export async function getInNs(ns: string, url: string): Promise<HttpResult> {
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, process.execPath, '-e', FETCH, url], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as HttpResult;
}

/** Sample values of one metric in Prometheus text format: label string → value. */
export function samplesOf(text: string, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    out.set(m[2] ?? '', Number(m[3]));
  }
  return out;
}

/** per-verdict sums of toa_doctor_connections_judged_total */
export function judgedByVerdict(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [labels, v] of samplesOf(text, 'toa_doctor_connections_judged_total')) {
    const verdict = /verdict="([^"]+)"/.exec(labels)?.[1] ?? '?';
    out[verdict] = (out[verdict] ?? 0) + v;
  }
  return out;
}

/** promtool on stdin or with args: { code, out } */
export function promtool(args: string[], input?: string): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { input, encoding: 'utf8', cwd: REPO });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}
