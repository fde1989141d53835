/**
 * The probe's client, run as its own process so that it can sit in the probe's cgroup (a socket
 * belongs to the cgroup of the process that creates it). Reads one JSON job per stdin line,
 * connects, sends a request unless told not to, waits for the server's answer or close, and
 * prints one JSON line per job: { id, localPort, error? }.
 */
import { connect } from 'node:net';
import { createInterface } from 'node:readline';

interface Job {
  id: number;
  host: string;
  port: number;
  request: boolean;
  timeoutMs: number;
}

function runJob(job: Job): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    let localPort = 0;
    let settled = false;
    const finish = (extra: Record<string, unknown> = {}) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ id: job.id, localPort, ...extra });
    };
    const sock = connect({ host: job.host, port: job.port }, () => {
      localPort = sock.localPort ?? 0;
      if (job.request) sock.write('GET /toa-doctor-probe HTTP/1.0\r\n\r\n');
      else sock.end();
    });
    const timer = setTimeout(() => finish({ error: 'timeout' }), job.timeoutMs);
    sock.on('data', () => sock.end());
    sock.on('close', () => finish());
    sock.on('error', (e) => finish({ error: e.message }));
  });
}

const rl = createInterface({ input: process.stdin });
process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
rl.on('line', async (line) => {
  if (!line.trim()) return;
  const job = JSON.parse(line) as Job;
  const res = await runJob(job);
  process.stdout.write(`${JSON.stringify(res)}\n`);
});
rl.on('close', () => process.exit(0));
