/**
 * `toa-doctor host`: module, counters, kernel log, listeners, container hints — one snapshot,
 * or samples with counter deltas (--interval/--count). Text, JSON, Markdown or Prometheus.
 */
import { renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Command } from 'commander';
import { diagnoseHost } from '../diagnose/host-rules.js';
import { cannotWrite } from '../errors.js';
import { type CollectOptions, collectHost } from '../host/collect.js';
import { buildEvidence, computeDeltas, loadHostDir, writeHostSnapshot } from '../host/snapshot.js';
import type { HostEvidence, HostSnapshot } from '../host/types-host.js';
import {
  type HostInterval,
  hostToJson,
  renderHostMarkdown,
  renderHostPrometheus,
  renderHostText,
  renderIntervalLine,
} from '../report/host.js';
import { toolVersion } from '../version.js';
import { colorEnabled } from './color.js';
import { EXIT, UserError } from './errors.js';
import { existingDir, positiveInt, positiveNumber } from './options.js';

export type HostFormat = 'text' | 'json' | 'markdown' | 'prometheus';

export interface HostCliOptions {
  root?: string;
  dmesgFile?: string;
  dmesg?: boolean;
  toaTable?: boolean;
  json?: boolean;
  markdown?: boolean;
  format?: string;
  interval?: string;
  count?: string;
  save?: string;
  output?: string;
  perCpu?: boolean;
  color?: boolean;
  showInfo?: boolean;
}

export interface HostRunResult {
  evidence: HostEvidence;
  output: string;
  exitCode: number;
}

const FORMATS: HostFormat[] = ['text', 'json', 'markdown', 'prometheus'];

export function resolveFormat(o: HostCliOptions): HostFormat {
  const picked: HostFormat[] = [];
  if (o.json) picked.push('json');
  if (o.markdown) picked.push('markdown');
  if (o.format !== undefined) {
    if (!FORMATS.includes(o.format as HostFormat))
      throw new UserError(`unknown --format ${o.format}`, `use one of: ${FORMATS.join(', ')}`);
    picked.push(o.format as HostFormat);
  }
  const uniq = [...new Set(picked)];
  if (uniq.length > 1) throw new UserError(`conflicting output formats: ${uniq.join(', ')}`, 'pick one');
  return uniq[0] ?? 'text';
}

export function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Write atomically: temp file in the same directory, then rename over the target. */
export function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw cannotWrite(path, err);
  }
}

/** The whole command as a function (tests, bundle). `emit` receives streamed interval lines. */
export async function runHost(
  o: HostCliOptions,
  emit: (s: string) => void = () => undefined,
  color = false,
): Promise<HostRunResult> {
  const format = resolveFormat(o);
  const interval =
    o.interval === undefined ? undefined : positiveNumber('--interval', 10, 'seconds')(o.interval);
  let count = o.count === undefined ? undefined : positiveInt('--count', 3)(o.count);
  if (count !== undefined && interval === undefined)
    throw new UserError('--count needs --interval', 'example: toa-doctor host --interval 10 --count 3');
  if (interval !== undefined) {
    count ??= 2;
    if (count < 2)
      throw new UserError(
        '--count must be at least 2 (two samples make one interval)',
        'example: --interval 10 --count 3',
      );
  }
  const root = o.root ?? '/';
  if (root !== '/')
    existingDir('--root', root, 'a directory holding proc/, sys/... (e.g. `toa-doctor host --save DIR`)');
  if (o.dmesgFile && !isDirOrFile(o.dmesgFile))
    throw new UserError(
      `--dmesg-file: no such file: ${o.dmesgFile}`,
      'give a saved kernel log (`dmesg > FILE`)',
    );
  const copts: CollectOptions = {
    dmesgFile: o.dmesgFile,
    dmesg: o.dmesg,
    toaTable: o.toaTable,
  };

  let ev: HostEvidence;
  const intervals: HostInterval[] = [];
  if (interval !== undefined && count !== undefined) {
    if (root !== '/' && isDir(join(root, 'before')) && isDir(join(root, 'after')))
      throw new UserError('--interval cannot sample a before/after snapshot directory', 'drop --interval');
    const samples: HostSnapshot[] = [];
    const sampleOpts: CollectOptions = { ...copts, useMetaTime: false };
    samples.push(await collectHost(root, sampleOpts));
    for (let i = 1; i < count; i++) {
      await sleep(interval * 1000);
      const last = i === count - 1;
      const snap = await collectHost(root, { ...sampleOpts, dmesg: last ? copts.dmesg : false });
      const prev = samples[samples.length - 1]!;
      const iv: HostInterval = {
        from: prev.collectedAt,
        to: snap.collectedAt,
        deltas: computeDeltas(prev, snap),
      };
      intervals.push(iv);
      samples.push(snap);
      if (format === 'text') emit(`${renderIntervalLine(iv)}\n`);
    }
    ev = buildEvidence(root, samples[samples.length - 1]!, samples[0]!);
  } else if (root === '/') {
    ev = buildEvidence('/', await collectHost('/', copts));
  } else {
    // a missing or empty snapshot directory is a CaptureError with its hint (src/host/snapshot.ts)
    ev = await loadHostDir(root, copts);
  }

  if (o.save) {
    try {
      if (ev.before) {
        await writeHostSnapshot(ev.before, join(o.save, 'before'));
        await writeHostSnapshot(ev.snapshot, join(o.save, 'after'));
      } else await writeHostSnapshot(ev.snapshot, o.save);
    } catch (e) {
      throw cannotWrite((e as NodeJS.ErrnoException).path ?? o.save, e, '--save');
    }
  }

  const findings = diagnoseHost(ev);
  const ropts = {
    color,
    intervals: format === 'text' ? undefined : intervals.length ? intervals : undefined,
    toolVersion: toolVersion(),
    showInfo: o.showInfo,
  };
  let output: string;
  if (format === 'json') output = `${JSON.stringify(hostToJson(ev, findings, ropts), null, 2)}\n`;
  else if (format === 'markdown') output = renderHostMarkdown(ev, findings, ropts);
  else if (format === 'prometheus')
    output = renderHostPrometheus(ev, findings, { perCpu: o.perCpu !== false });
  else output = renderHostText(ev, findings, ropts);
  const exitCode = findings.some((f) => f.severity === 'error') ? EXIT.FINDINGS : EXIT.OK;
  return { evidence: ev, output, exitCode };
}

function isDirOrFile(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

export function register(program: Command): void {
  program
    .command('host')
    .description(
      'read the host side of TOA: loaded modules (toa, vtoa, tcp_toa, ip_vs_ca, eBPF), /proc/net/toa_stats counters, ' +
        'the kernel log, listening sockets and container hints, and diagnose them',
    )
    .option(
      '--root <dir>',
      'read this directory instead of / (a snapshot; with before/ and after/: deltas)',
      '/',
    )
    .option('--dmesg-file <file>', 'read the kernel log from FILE instead of running dmesg / journalctl -k')
    .option('--no-dmesg', 'do not read the kernel log')
    .option('--toa-table', 'also read /proc/net/toa_table (walks every IPv6 entry: costly on busy servers)')
    .option('--json', 'JSON output (schema toa-doctor/host@1)')
    .option('--markdown', 'Markdown output')
    .option('--format <fmt>', 'text | json | markdown | prometheus (node_exporter textfile collector)')
    .option('--interval <seconds>', 'take samples this many seconds apart and show counter deltas')
    .option('--count <n>', 'number of samples with --interval (default 2)')
    .option(
      '--save <dir>',
      'write the snapshot there (before/ and after/ with --interval) for `read --host-dir DIR`',
    )
    .option(
      '-o, --output <file>',
      'write the report to FILE atomically (temp file + rename) instead of stdout',
    )
    .option('--no-per-cpu', 'prometheus: one series per counter (cpu="all") instead of one per CPU')
    .option('--no-info', 'text/markdown: hide info findings')
    .option('--no-color', 'no colours')
    .addHelpText(
      'after',
      `
Examples:
  sudo toa-doctor host                                  modules, counters, dmesg, listeners
  sudo toa-doctor host --interval 10 --count 3          counter deltas every 10 s
  sudo toa-doctor host --interval 30 --save snap/       before/after snapshot for \`read --host-dir snap/\`
  toa-doctor host --root snap/ --markdown               a saved snapshot, as Markdown
  sudo toa-doctor host --format prometheus -o /var/lib/node_exporter/textfile_collector/toa.prom

Exit codes: 0 no error finding, 1 error findings, 2 usage/input error.`,
    )
    .action(async (raw: Record<string, unknown>) => {
      const o: HostCliOptions = {
        root: raw.root as string | undefined,
        dmesgFile: raw.dmesgFile as string | undefined,
        dmesg: raw.dmesg as boolean | undefined,
        toaTable: raw.toaTable as boolean | undefined,
        json: raw.json as boolean | undefined,
        markdown: raw.markdown as boolean | undefined,
        format: raw.format as string | undefined,
        interval: raw.interval as string | undefined,
        count: raw.count as string | undefined,
        save: raw.save as string | undefined,
        output: raw.output as string | undefined,
        perCpu: raw.perCpu as boolean | undefined,
        color: raw.color as boolean | undefined,
        showInfo: raw.info as boolean | undefined,
      };
      const color = !o.output && colorEnabled(o.color, process.stdout);
      const streamTo = o.output
        ? (s: string) => process.stderr.write(s)
        : (s: string) => process.stdout.write(s);
      const res = await runHost(o, streamTo, color);
      if (o.output) writeAtomic(o.output, res.output);
      else process.stdout.write(res.output);
      process.exitCode = res.exitCode;
    });
}
