/**
 * `toa-doctor probe`: load a TOA inserter into a short-lived cgroup, connect to an own listener
 * once per (variant, packet), and report which ones this host's TOA reader rewrites
 * (src/probe/run.ts). Root (or CAP_BPF + CAP_NET_ADMIN + CAP_SYS_ADMIN), cgroup v2, Linux >= 5.10
 * and bpftool; every missing piece is one `toa-doctor:` line + hint, exit 2.
 */
import chalk from 'chalk';
import Table from 'cli-table3';
import type { Command } from 'commander';
import type { ToaVariantRow } from '../decode/toa.js';
import {
  clientVariants,
  type Placement,
  parsePlacement,
  parseVariant,
  variantLabel,
} from '../probe/config.js';
import { ProbeError } from '../probe/errors.js';
import { buildProbeDocument, type ProbeDocument } from '../probe/findings.js';
import { DEFAULT_PLACEMENTS, runProbe } from '../probe/run.js';
import { EXIT, UserError } from './errors.js';

interface ProbeCliOptions {
  variants?: string;
  packets?: string;
  ipv6Listener?: boolean;
  lb?: string;
  capture?: string;
  host?: boolean;
  json?: boolean;
}

function knownVariants(): string {
  return clientVariants()
    .map((v) => variantLabel(v))
    .join(',');
}

export function parseVariantList(s: string, flag: string): ToaVariantRow[] {
  const out: ToaVariantRow[] = [];
  for (const part of s.split(',')) {
    if (!part.trim()) continue;
    const v = parseVariant(part);
    if (!v || !clientVariants().includes(v))
      throw new UserError(
        `${flag}: not a TOA variant with a client address: ${part.trim()}`,
        `known: ${knownVariants()}`,
      );
    if (!out.includes(v)) out.push(v);
  }
  if (!out.length) throw new UserError(`${flag}: empty list`, `example: ${flag} 200/8,254/8`);
  return out;
}

export function parsePlacementList(s: string): Placement[] {
  const out: Placement[] = [];
  for (const part of s.split(',')) {
    if (!part.trim()) continue;
    const p = parsePlacement(part);
    if (!p)
      throw new UserError(
        `--packets: not a packet list: ${part.trim()}`,
        'use ack, syn, data or a + of them, e.g. --packets ack,syn,syn+ack+data',
      );
    if (!out.some((x) => x.name === p.name)) out.push(p);
  }
  if (!out.length) throw new UserError('--packets: empty list', 'example: --packets ack,syn');
  return out;
}

const SEV = { error: chalk.red, warning: chalk.yellow, info: chalk.cyan } as const;

export function renderProbeText(doc: ProbeDocument, listener: string): string {
  const t = new Table({
    head: ['variant', 'packet', 'rewritten', 'getpeername()', 'option carried'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
  for (const r of doc.results)
    t.push([
      r.variant,
      r.packet,
      r.rewritten ? chalk.green('yes') : chalk.red('no'),
      r.peer || '-',
      r.expected,
    ]);
  const lines = [`probe: listener ${listener}, ${doc.results.length} connections`, t.toString(), ''];
  for (const f of doc.findings) {
    lines.push(`${SEV[f.severity](f.severity.toUpperCase())} ${f.code}: ${f.title}`);
    lines.push(`  ${f.detail}`);
    if (f.remedy) lines.push(`  -> ${f.remedy}`);
  }
  return `${lines.join('\n')}\n`;
}

async function hostImplementations(): Promise<import('../host/types-host.js').Implementation[]> {
  try {
    const { collectHost } = await import('../host/collect.js');
    const { buildEvidence } = await import('../host/snapshot.js');
    return buildEvidence('/', await collectHost('/', { dmesg: true })).implementations;
  } catch {
    return [];
  }
}

/** The client-address variants the TOAs in a capture carry ("200/8"), most frequent first. */
async function captureVariants(path: string): Promise<string[]> {
  const { readCaptureFile } = await import('../capture/reader.js');
  const { Analyzer } = await import('../flow/analyzer.js');
  const a = new Analyzer({});
  await readCaptureFile(path, (f) => a.push(f));
  const n = new Map<string, number>();
  for (const f of a.finish().flows) {
    const v = f.toa?.variant;
    if (!v || !parseVariant(v) || !clientVariants().includes(parseVariant(v)!)) continue;
    const l = variantLabel(parseVariant(v)!);
    n.set(l, (n.get(l) ?? 0) + 1);
  }
  return [...n].sort((x, y) => y[1] - x[1]).map(([l]) => l);
}

async function run(opts: ProbeCliOptions): Promise<void> {
  const variants = opts.variants ? parseVariantList(opts.variants, '--variants') : undefined;
  const placements = parsePlacementList(opts.packets ?? DEFAULT_PLACEMENTS.join(','));
  const lbVariants = opts.lb ? parseVariantList(opts.lb, '--lb').map((v) => variantLabel(v)) : [];
  // read the capture before loading anything: a bad file is a usage error with nothing to undo
  if (opts.capture)
    for (const v of await captureVariants(opts.capture)) if (!lbVariants.includes(v)) lbVariants.push(v);
  const tty = process.stderr.isTTY && !opts.json;
  let probe: Awaited<ReturnType<typeof runProbe>>;
  try {
    probe = await runProbe({
      variants,
      placements,
      ipv6Listener: !!opts.ipv6Listener,
      onProgress: tty ? (d, n) => process.stderr.write(`\rprobe: ${d}/${n} connections`) : undefined,
    });
  } catch (e) {
    if (e instanceof ProbeError) throw new UserError(e.message, e.hint);
    throw e;
  } finally {
    if (tty) process.stderr.write('\r\x1b[K');
  }
  const implementations = opts.host === false ? [] : await hostImplementations();
  const doc = buildProbeDocument(probe.observations, {
    implementations,
    lbVariants,
    ipv6Listener: !!opts.ipv6Listener,
  });
  if (probe.leftovers.length)
    process.stderr.write(`toa-doctor: could not remove ${probe.leftovers.join(', ')}\n`);
  process.stdout.write(
    opts.json ? `${JSON.stringify(doc, null, 2)}\n` : renderProbeText(doc, probe.listener),
  );
  if (doc.findings.some((f) => f.severity === 'error')) process.exitCode = EXIT.FINDINGS;
}

export function register(program: Command): void {
  program
    .command('probe')
    .description(
      'measure which TOA variants and packets this host rewrites (BPF inserter, own loopback port; root)',
    )
    .option(
      '--variants <list>',
      `variants to send, e.g. 200/8,254/8 (default: all: ${knownVariants().replaceAll(',', ', ')})`,
    )
    .option(
      '--packets <list>',
      'packets that carry the option: ack, syn, data or a + of them (e.g. syn+ack+data), comma-separated; one connection each',
      DEFAULT_PLACEMENTS.join(','),
    )
    .option('--ipv6-listener', 'listen on :: (dual stack) instead of 127.0.0.1')
    .option('--lb <list>', 'the variant(s) your LB sends, e.g. 200/8: a finding says whether they are read')
    .option(
      '--capture <file>',
      'a capture from this backend (pcap, pcapng, .gz): the variants its TOAs carry count as what the LB sends',
    )
    .option('--no-host', 'do not read host evidence (module, counters, dmesg) for the findings')
    .option('--json', 'toa-doctor/probe@1 JSON on stdout')
    .addHelpText(
      'after',
      `
Needs: root (or CAP_BPF + CAP_NET_ADMIN + CAP_SYS_ADMIN), Linux >= 5.10,
cgroup v2, bpftool. Connects only to its own listener on an ephemeral loopback
port; removes its programs, pins and cgroup on every exit. Exit 1 when nothing
is rewritten (or a variant the LB sends is not read).`,
    )
    .action(run);
}
