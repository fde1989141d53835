/**
 * `toa-doctor bundle`: host snapshot before → capture (live engine, or a capture file) reduced to
 * what the diagnosis needs → host snapshot after → optional anonymization → analysis (through a
 * callback the CLI supplies, so this layer does not import the CLI) → report.json / report.md →
 * manifest with sha256 of every member → .tar.gz (archive.ts documents the layout).
 *
 * Nothing here prints; progress and notes go through callbacks.
 */
import { constants as fsc } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { hostname as osHostname, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { readCaptureFile, StopReading } from '../capture/reader.js';
import { CaptureError, createFrame, type Frame } from '../capture/types.js';
import { PcapWriter } from '../capture/writer.js';
import { createDecodedPacket, decodePacket } from '../decode/index.js';
import { cannotWriteText } from '../errors.js';
import type { CollectOptions } from '../host/collect.js';
import { collectHost, writeHostSnapshot } from '../host/index.js';
import type { HostSnapshot } from '../host/types-host.js';
import {
  anonymizeMacText,
  anonymizeText,
  deriveKey,
  IpAnonymizer,
  type KeySource,
  mapCidr,
} from './anonymize.js';
import { CaptureAnonymizer, optionNotes } from './anonymize-capture.js';
import { anonymizeHostDir } from './anonymize-host.js';
import {
  type AnonymizationInfo,
  BUNDLE_SCHEMA,
  type BundleManifest,
  type CaptureInfo,
  hashMembers,
  listFiles,
  memberOrder,
  writeArchive,
} from './archive.js';
import { HandshakeReducer } from './reduce.js';
import { makeTempDir, removeTempDir } from './tempdir.js';

/** What the CLI's analysis returns for the report members. */
export interface AnalysisOutput {
  /** report.json content (object or already serialized) */
  json: unknown;
  markdown: string;
  /** report.html: the same report as a self-contained page (optional) */
  html?: string;
  /** number of error-severity findings (exit code 1 when > 0) */
  errorFindings: number;
}

/**
 * Runs the `read` pipeline on the bundle: `bundle` is a provisional archive (every member but the
 * reports, same file name as the final one) to read exactly as `toa-doctor read` will; `capture` and
 * `hostDir` are the same members unpacked (capture null when there is none).
 */
export type AnalyzeFn = (input: {
  bundle: string;
  capture: string | null;
  hostDir: string | null;
  /** analysisOptions, with --lb networks anonymized like the addresses when anonymizing */
  analysis: { profile: string; lb: string[] } | null;
}) => Promise<AnalysisOutput>;

/** Addresses anonymization keeps as they are (manifest and README). */
export const PRESERVED_ADDRESSES = [
  '0.0.0.0',
  '255.255.255.255',
  '127.0.0.0/8',
  '::',
  '::1',
  '::ffff:0:0/96 prefix',
  '64:ff9b::/96 prefix',
] as const;

/** A live capture source (the CLI builds it from the live engines). */
export interface LiveSource {
  /** start delivering frames; resolves once capturing */
  start(sink: (f: Frame) => void): Promise<void>;
  /** stop and deliver the tail */
  stop(): Promise<{ kernelDrops: number | null }>;
  /** called when the capture ended by itself (error or interface gone) */
  onEnded(cb: (err: Error | null) => void): void;
  engine: string;
  filter: string;
  iface: string;
}

export interface BundleProgress {
  phase: 'host-before' | 'capture' | 'host-after' | 'analysis' | 'archive';
  elapsedS: number;
  /** seconds left in the capture, null when not capturing live */
  remainingS: number | null;
  packetsSeen: number;
  packetsWritten: number;
  bytesWritten: number;
  flows: number;
}

export interface CreateBundleOptions {
  root: string;
  /** live capture (from -i); null for none */
  live?: LiveSource | null;
  /** read packets from this capture file instead (--from-pcap) */
  fromPcap?: string;
  /** capture duration in seconds (live), or the wait between host snapshots without a capture */
  durationS?: number;
  out?: string;
  /** directory for the default output name (default: cwd) */
  outDir?: string;
  anonymize?: boolean;
  anonymizeKey?: string;
  maxBytes: number;
  full: boolean;
  commandLine: string;
  toolVersion: string;
  analyze?: AnalyzeFn;
  /** analysis settings recorded in the manifest (read uses them unless told otherwise) */
  analysisOptions?: { profile: string; lb: string[] };
  signal?: AbortSignal;
  onProgress?: (p: BundleProgress) => void;
  /** called once the live capture is running (after the first host snapshot) */
  onCaptureStarted?: (info: { iface: string; engine: string; filter: string; durationS: number }) => void;
  /** called for every note as it happens (also kept in the manifest) */
  onNote?: (msg: string) => void;
  /** host collection options (tests: dmesgFile, exec) */
  host?: CollectOptions;
  now?: () => Date;
  progressIntervalMs?: number;
}

export interface CreateBundleResult {
  path: string;
  size: number;
  manifest: BundleManifest;
  analysis: AnalysisOutput | null;
}

export const DEFAULT_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_DURATION_S = 30;
const SNAPLEN = 262144;
const PCAP_HEADER = 24;
const RECORD_HEADER = 16;

/**
 * The command line for the manifest, from argv element by element: the value of --anonymize-key
 * (next element, or after '=') is never recorded, whatever it holds (spaces included). Elements are
 * shell-quoted when needed, so the line can be read back as typed.
 */
export function commandLineOf(argv: readonly string[]): string {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--anonymize-key') {
      out.push(a);
      if (i + 1 < argv.length) {
        out.push('<redacted>');
        i++;
      }
    } else if (a.startsWith('--anonymize-key=')) out.push('--anonymize-key=<redacted>');
    else out.push(a);
  }
  return out.map((a) => (/^[\w@%+=:,./<>-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

/** `--anonymize-key VALUE` / `--anonymize-key=VALUE` → redacted (a line already joined; see commandLineOf). */
export function redactCommandLine(cmd: string): string {
  return cmd
    .replace(/(--anonymize-key[= ])("[^"]*"|'[^']*'|\S+)/g, '$1<redacted>')
    .replace(/(^|\s)(-K)(\s+)(\S+)/g, '$1$2$3<redacted>');
}

/** `toa-doctor-<host>-<YYYYMMDDTHHMMSSZ>.tar.gz` */
export function defaultBundleName(host: string, at: Date): string {
  const h = host.replace(/[^A-Za-z0-9._-]/g, '') || 'unknown';
  const t = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `toa-doctor-${h}-${t}.tar.gz`;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((res) => {
    if (signal?.aborted || ms <= 0) return res();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      res();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The capture part: decode, reduce, anonymize, bound, write. */
class CaptureSink {
  writer: PcapWriter | null = null;
  private readonly pkt = createDecodedPacket();
  private readonly scratch = Buffer.alloc(SNAPLEN + 64);
  private readonly copy: Frame = createFrame(this.scratch);
  readonly reducer = new HandshakeReducer();
  packetsSeen = 0;
  packetsWritten = 0;
  bytesWritten = 0;
  truncated = false;
  otherLinkTypes = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly full: boolean,
    private readonly anon: CaptureAnonymizer | null,
  ) {}

  readonly sink = (f: Frame): void => {
    this.packetsSeen++;
    decodePacket(f, this.pkt);
    const keep = this.reducer.keep(f.buf, this.pkt);
    if (!this.full && !keep) return;
    if (this.truncated) return;
    if (!this.writer) {
      this.writer = new PcapWriter(this.path, f.linkType, SNAPLEN);
      this.bytesWritten = PCAP_HEADER;
    } else if (f.linkType !== this.writer.linkType) {
      this.otherLinkTypes++;
      return;
    }
    const caplen = Math.min(f.capturedLength, SNAPLEN);
    if (this.bytesWritten + RECORD_HEADER + caplen > this.maxBytes) {
      this.truncated = true;
      return;
    }
    let out = f;
    if (this.anon) {
      const c = this.copy;
      f.buf.copy(this.scratch, 0, f.offset, f.offset + caplen);
      c.tsSec = f.tsSec;
      c.tsNsec = f.tsNsec;
      c.linkType = f.linkType;
      c.capturedLength = caplen;
      c.originalLength = f.originalLength;
      c.interfaceId = f.interfaceId;
      // offsets in pkt are absolute in f.buf: re-decode on the copy
      decodePacket(c, this.pkt);
      if (!this.anon.apply(c, this.pkt)) return;
      out = c;
    }
    this.writer.write(out);
    this.packetsWritten++;
    this.bytesWritten += RECORD_HEADER + caplen;
  };

  close(): void {
    this.writer?.close();
  }
}

export async function createBundle(o: CreateBundleOptions): Promise<CreateBundleResult> {
  const now = o.now ?? (() => new Date());
  const started = now();
  const t0 = Date.now();
  const notes: string[] = [];
  const note = (m: string) => {
    notes.push(m);
    o.onNote?.(m);
  };
  const stage = makeTempDir('toa-doctor-bundle-');
  try {
    return await build(o, stage, started, t0, notes, note, now);
  } finally {
    await removeTempDir(stage);
  }
}

async function build(
  o: CreateBundleOptions,
  stage: string,
  started: Date,
  t0: number,
  notes: string[],
  note: (m: string) => void,
  now: () => Date,
): Promise<CreateBundleResult> {
  const root = resolve(o.root);
  // fail before capturing when the archive cannot be written
  const outDir = o.out ? dirname(resolve(o.out)) : resolve(o.outDir ?? '.');
  try {
    if (!(await stat(outDir)).isDirectory())
      throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(outDir, fsc.W_OK);
  } catch (err) {
    const t = cannotWriteText(outDir, err, '-o FILE.tar.gz');
    throw new CaptureError(t.code, t.message, t.hint);
  }
  if (o.out && (await stat(resolve(o.out)).catch(() => null))?.isDirectory()) {
    const t = cannotWriteText(o.out, { code: 'EISDIR' }, '-o FILE.tar.gz');
    throw new CaptureError(t.code, t.message, t.hint);
  }
  let anonKeySource: KeySource | null = null;
  let ip: IpAnonymizer | null = null;
  if (o.anonymize) {
    const k = deriveKey(o.anonymizeKey);
    anonKeySource = k.source;
    ip = new IpAnonymizer(k.key);
    k.key.fill(0); // the key is never stored
  }
  const capAnon = ip ? new CaptureAnonymizer(ip) : null;
  const capturing = !!o.live || !!o.fromPcap;
  const capPath = join(stage, 'capture.pcap');
  const cap = new CaptureSink(capPath, o.maxBytes, o.full, capAnon);
  const progress = (phase: BundleProgress['phase'], remainingS: number | null) =>
    o.onProgress?.({
      phase,
      elapsedS: (Date.now() - t0) / 1000,
      remainingS,
      packetsSeen: cap.packetsSeen,
      packetsWritten: cap.packetsWritten,
      bytesWritten: cap.bytesWritten,
      flows: cap.reducer.flowsSeen,
    });

  // ---- host before (without the kernel log: only the after snapshot carries it)
  const twoSnapshots = capturing || o.durationS !== undefined;
  let before: HostSnapshot | null = null;
  if (twoSnapshots) {
    progress('host-before', null);
    before = await collectHost(root, { ...o.host, dmesg: false });
    await writeHostSnapshot(before, join(stage, 'host/before'));
  }

  // ---- capture
  const capInfo: CaptureInfo = {
    source: o.live ? 'live' : o.fromPcap ? 'file' : 'none',
    interface: o.live?.iface ?? null,
    engine: o.live?.engine ?? null,
    filter: o.live?.filter ?? null,
    mode: o.full ? 'full' : 'handshake',
    durationRequested: o.live || (!capturing && o.durationS !== undefined) ? (o.durationS ?? null) : null,
    durationActual: null,
    interrupted: false,
    packetsSeen: 0,
    packetsWritten: 0,
    bytesWritten: 0,
    maxBytes: o.maxBytes,
    truncatedAtMaxBytes: false,
    flows: 0,
  };
  const capStart = Date.now();
  const interval = o.progressIntervalMs ?? 250;
  if (o.live) {
    const duration = o.durationS ?? DEFAULT_DURATION_S;
    let endedErr: Error | null | undefined;
    const ended = new AbortController();
    o.live.onEnded((err) => {
      endedErr = err;
      ended.abort();
    });
    await o.live.start(cap.sink);
    o.onCaptureStarted?.({
      iface: o.live.iface,
      engine: o.live.engine,
      filter: o.live.filter,
      durationS: duration,
    });
    const stopAll = AbortSignal.any([ended.signal, ...(o.signal ? [o.signal] : [])]);
    const deadline = Date.now() + duration * 1000;
    while (!stopAll.aborted && Date.now() < deadline) {
      progress('capture', Math.max(0, (deadline - Date.now()) / 1000));
      await sleep(Math.min(interval, deadline - Date.now()), stopAll);
    }
    const r = await o.live.stop();
    capInfo.interrupted = !!o.signal?.aborted && Date.now() < deadline;
    if (endedErr !== undefined)
      note(`capture ended before the duration${endedErr ? `: ${endedErr.message}` : ''}`);
    if (r.kernelDrops) note(`the kernel dropped ${r.kernelDrops} packets during the capture`);
    progress('capture', 0);
  } else if (o.fromPcap) {
    let last = 0;
    await readCaptureFile(o.fromPcap, (f) => {
      if (o.signal?.aborted) throw new StopReading();
      cap.sink(f);
      const n = Date.now();
      if (n - last >= interval) {
        last = n;
        progress('capture', null);
      }
    });
    capInfo.interrupted = !!o.signal?.aborted;
  } else if (o.durationS !== undefined) {
    // host evidence only, but two snapshots `duration` apart (counter deltas)
    const deadline = Date.now() + o.durationS * 1000;
    while (!o.signal?.aborted && Date.now() < deadline) {
      progress('capture', Math.max(0, (deadline - Date.now()) / 1000));
      await sleep(Math.min(interval, deadline - Date.now()), o.signal);
    }
    capInfo.interrupted = !!o.signal?.aborted && Date.now() < deadline;
  }
  cap.close();
  if (capturing) {
    capInfo.durationActual = Math.round((Date.now() - capStart) / 100) / 10;
    capInfo.packetsSeen = cap.packetsSeen;
    capInfo.packetsWritten = cap.packetsWritten;
    capInfo.bytesWritten = cap.writer ? cap.bytesWritten : 0;
    capInfo.truncatedAtMaxBytes = cap.truncated;
    capInfo.flows = cap.reducer.flowsSeen;
    if (cap.truncated)
      note(`capture stopped at --max-bytes ${o.maxBytes}: packets after that point are not in the bundle`);
    if (cap.otherLinkTypes)
      note(
        `${cap.otherLinkTypes} packets on a second link type were left out (a pcap file holds one link type)`,
      );
    if (!cap.writer) note('no packets were captured');
    if (capAnon?.stats.droppedNotTcp)
      note(`anonymization left out ${capAnon.stats.droppedNotTcp} packets that are not TCP over IP`);
  }

  // ---- host after (with the kernel log)
  progress('host-after', null);
  const after = await collectHost(root, o.host);
  await writeHostSnapshot(after, join(stage, 'host/after'));
  const realHost = after.hostname ?? before?.hostname ?? (root === '/' ? osHostname() : null);
  for (const n of [...(before?.notes ?? []), ...after.notes]) if (!notes.includes(n)) note(n);

  // ---- anonymize the host evidence (the capture was rewritten while writing)
  const pseudonym = ip && realHost ? ip.mapHostname(realHost) : realHost;
  if (ip) {
    await anonymizeHostDir(join(stage, 'host'), ip, {
      hostname: realHost,
      pseudonym: pseudonym ?? 'host',
      endianness: after.listeners.endianness,
    });
  }

  // ---- manifest (without the reports first)
  const ended = now();
  let commandLine = redactCommandLine(o.commandLine);
  let manifestNotes = notes;
  if (ip) {
    const scrub = (s: string) =>
      ip.scrubHostname(anonymizeText(anonymizeMacText(s, ip), ip), realHost, pseudonym ?? 'host');
    commandLine = scrub(commandLine);
    manifestNotes = notes.map(scrub);
  }
  const anonInfo: AnonymizationInfo | undefined = ip
    ? {
        enabled: true,
        method: 'crypto-pan-aes128',
        keySource: anonKeySource,
        preserved: [...PRESERVED_ADDRESSES],
        addresses: { ...ip.counts },
        payload: 'zeroed',
        droppedNonTcp: capAnon?.stats.droppedNotTcp ?? 0,
        options: capAnon ? optionNotes(capAnon.stats) : [],
      }
    : undefined;
  const analysisOptions = o.analysisOptions
    ? {
        profile: o.analysisOptions.profile,
        lb: ip ? o.analysisOptions.lb.map((c) => mapCidr(c, ip)) : o.analysisOptions.lb,
      }
    : null;
  const writeManifest = async (): Promise<BundleManifest> => {
    const files = (await listFiles(stage)).filter((f) => f !== 'manifest.json');
    const manifest: BundleManifest = {
      schema: BUNDLE_SCHEMA,
      generator: 'toa-doctor',
      toolVersion: o.toolVersion,
      commandLine,
      hostname: pseudonym,
      startedAt: started.toISOString(),
      endedAt: ended.toISOString(),
      anonymized: !!ip,
      ...(anonInfo ? { anonymization: anonInfo } : {}),
      ...(analysisOptions ? { analysis: analysisOptions } : {}),
      capture: capInfo,
      notes: manifestNotes,
      members: await hashMembers(stage, files),
    };
    await writeFile(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    return manifest;
  };
  let manifest = await writeManifest();
  const out = resolve(o.out ?? join(outDir, defaultBundleName(pseudonym ?? 'unknown', started)));

  // ---- analysis: read a provisional archive exactly as `toa-doctor read` will read the final one
  let analysis: AnalysisOutput | null = null;
  if (o.analyze) {
    progress('analysis', null);
    const pdir = makeTempDir('toa-doctor-bundle-');
    // the report names the archive it read: an anonymized one must not carry the real host name
    const provisional = join(
      pdir,
      ip ? ip.scrubHostname(basename(out), realHost, pseudonym ?? 'host') : basename(out),
    );
    try {
      // gzip level 1: this archive only lives until the analysis has read it
      await writeArchive(
        provisional,
        stage,
        memberOrder(['manifest.json', ...manifest.members.map((m) => m.path)]),
        1,
      );
      analysis = await o.analyze({
        bundle: provisional,
        capture: cap.writer ? capPath : null,
        hostDir: before ? join(stage, 'host') : join(stage, 'host/after'),
        analysis: analysisOptions,
      });
      // temp directories (staging, provisional archive, read's unpack dir) never reach the report
      const readTmp = new RegExp(`${escapeRegExp(tmpdir())}/toa-doctor-read-[A-Za-z0-9]+/?`, 'g');
      const strip = (t: string) =>
        t
          .replace(readTmp, '')
          .split(`${pdir}/`)
          .join('')
          .split(`${stage}/`)
          .join('')
          .split(pdir)
          .join('.')
          .split(stage)
          .join('.');
      const json = typeof analysis.json === 'string' ? analysis.json : JSON.stringify(analysis.json, null, 2);
      // the reports come from anonymized members; the host name check is idempotent, a second line of defence
      const hostScrub = (t: string) => (ip ? ip.scrubHostname(t, realHost, pseudonym ?? 'host') : t);
      await writeFile(join(stage, 'report.json'), `${hostScrub(strip(json)).trimEnd()}\n`);
      await writeFile(join(stage, 'report.md'), `${hostScrub(strip(analysis.markdown)).trimEnd()}\n`);
      if (analysis.html) await writeFile(join(stage, 'report.html'), hostScrub(strip(analysis.html)));
      manifest = await writeManifest();
    } catch (err) {
      note(`analysis failed, the bundle has no report: ${(err as Error).message}`);
      analysis = null;
    } finally {
      await removeTempDir(pdir);
    }
  }

  progress('archive', null);
  // ---- archive
  let size: number;
  try {
    size = await writeArchive(
      out,
      stage,
      memberOrder(['manifest.json', ...manifest.members.map((m) => m.path)]),
    );
  } catch (err) {
    const t = cannotWriteText(out, err, '-o');
    throw new CaptureError(t.code, t.message, t.hint);
  }
  return { path: out, size, manifest, analysis };
}
