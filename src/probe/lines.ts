/** JSON lines from a child's stdout, awaited one at a time (probe client, lab app). */

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export class JsonLines {
  private buf = '';
  private waiters: Array<{
    pred: (o: Record<string, unknown>) => boolean;
    resolve: (o: Record<string, unknown>) => void;
  }> = [];
  private queue: Array<Record<string, unknown>> = [];
  constructor(child: ChildProcess) {
    child.stdout!.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i = this.buf.indexOf('\n');
      while (i >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        i = this.buf.indexOf('\n');
        let o: Record<string, unknown>;
        try {
          o = JSON.parse(line) as Record<string, unknown>;
        } catch {
          continue;
        }
        const w = this.waiters.findIndex((x) => x.pred(o));
        if (w >= 0) this.waiters.splice(w, 1)[0]!.resolve(o);
        else this.queue.push(o);
      }
    });
  }

  /** the next line matching `pred` (queued ones first); rejects after timeoutMs */
  next(
    timeoutMs: number,
    pred: (o: Record<string, unknown>) => boolean = () => true,
    what = 'a child process',
  ): Promise<Record<string, unknown>> {
    const q = this.queue.findIndex(pred);
    if (q >= 0) return Promise.resolve(this.queue.splice(q, 1)[0]!);
    return new Promise((resolve, reject) => {
      const entry = {
        pred,
        resolve: (o: Record<string, unknown>) => {
          clearTimeout(t);
          resolve(o);
        },
      };
      const t = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(entry), 1);
        reject(new Error(`${what} did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(entry);
    });
  }

  /** drop queued lines matching pred, returning them */
  drain(pred: (o: Record<string, unknown>) => boolean = () => true): Array<Record<string, unknown>> {
    const out = this.queue.filter(pred);
    this.queue = this.queue.filter((o) => !pred(o));
    return out;
  }
}

/**
 * Path of a compiled helper script next to the calling module. Under the test runner the caller is
 * src/**.ts, whose helper scripts exist only compiled, in dist/.
 */
export function helperScript(url: URL): string {
  const p = fileURLToPath(url);
  if (existsSync(p)) return p;
  return p.replace(/([/\\])src([/\\])(?!.*[/\\]src[/\\])/, '$1dist$2');
}
