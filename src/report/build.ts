/**
 * The `read` report as one JSON document, schema 'toa-doctor/report@1' (schema/report.schema.json).
 * buildReport() returns the whole document; jsonReportChunks() yields the same JSON text piece by
 * piece, so `read --json --flows all` on a capture with a million flows never holds them all.
 */
import type { CaptureSummary, CaptureWarning } from '../capture/types.js';
import { linkTypeName, TOA_VARIANTS } from '../decode/index.js';
import { CHECKSUM_STATUS_NAMES, type ChecksumName, TcpFlag } from '../decode/types.js';
import { oneLineVerdict } from '../diagnose/index.js';
import type { Finding, Severity } from '../diagnose/types.js';
import { formatEndpoint } from '../endpoint.js';
import { profileVariantIds, variantLabel } from '../flow/profiles.js';
import type { AnalysisResult, DecodeCounters, VariantCount } from '../flow/result.js';
import type {
  ClientRule,
  FlowRecord,
  PacketFacts,
  PacketRole,
  ProfileName,
  ToaSighting,
  Verdict,
} from '../flow/types.js';
import { listedAsProblem } from '../flow/verdict-info.js';
import type { ModelChoice } from '../model/choose.js';

export const REPORT_SCHEMA = 'toa-doctor/report@1';

export type FlowsMode = 'all' | 'problems';

export interface ReportFileInfo {
  path: string;
  format: string;
  gzip: boolean;
  packets: number;
  bytes: number;
  linkTypes: Record<string, number>;
  firstTs: number | null;
  lastTs: number | null;
  warnings: CaptureWarning[];
}

export interface ReportBundleInfo {
  path: string;
  description: string;
  problems: Array<{ kind: string; member: string | null; severity: string; message: string }>;
}

export interface ReportToa {
  kind: number;
  length: number;
  variant: string;
  family: 'ipv4' | 'ipv6' | null;
  address: string | null;
  port: number | null;
  packets: PacketRole[];
}

export interface ReportPacket {
  ts: number;
  flags: string;
  seq: number;
  ack: number;
  payloadLength: number;
  toa: ToaSighting[];
  options: {
    areaLength: number;
    used: number;
    free: number;
    break: string;
    toaAfterEol: boolean;
    toaAfterBreak: boolean;
    /** the captured option area as lowercase hex, when the analysis kept it (JSON and HTML reports) */
    bytes?: string;
  };
  checksum: ChecksumName;
  retransmissions: number;
  tfo: boolean;
}

export interface ReportFlow {
  id: number;
  family: 'ipv4' | 'ipv6';
  /** the IP-level client ('ip:port', IPv6 as '[addr]:port'): the LB address behind a full-NAT LB */
  client: string;
  server: string;
  clientRule: ClientRule;
  verdict: Verdict;
  reason: string;
  /** the TOA the verdict is about: the real client as the LB wrote it */
  toa: ReportToa | null;
  firstTs: number;
  lastTs: number;
  packets: { toServer: number; toClient: number };
  handshake: {
    /**
     * the packet the module takes the client address from for this flow: 'ack' (the
     * handshake-completing ACK), 'syn' (TFO, kind 28, a SYN-reading model; for a syn-or-ack model the
     * one whose TOA it used), null when not captured
     */
    readPacket: 'syn' | 'ack' | null;
    /** only when a module model (not auto) judged: which packet(s) the model reads */
    modelReads?: 'ack' | 'syn' | 'syn-or-ack';
    syn: ReportPacket | null;
    synAck: ReportPacket | null;
    ack: ReportPacket | null;
    data: ReportPacket | null;
    tfo: boolean;
    serverSpokeFirst: boolean;
    fin: boolean;
    rst: boolean;
  };
  laterToa: ToaSighting[];
}

export interface ReportSummary {
  verdict: string;
  /** 1 when at least one error finding (the CLI's exit code), else 0 */
  exitCode: 0 | 1;
  findings: Record<Severity, number>;
  packets: number;
  tcpPackets: number;
  linkTypes: Array<{ linkType: number; name: string; packets: number }>;
  firstTs: number | null;
  lastTs: number | null;
  start: string | null;
  end: string | null;
  durationSec: number;
  flows: {
    total: number;
    kept: number;
    evicted: number;
    /** packets not tracked while the table was full (no SYN, payload or TOA) */
    untrackedPackets: number;
    listed: number;
    ipv4: number;
    ipv6: number;
    handshakes: number;
  };
  verdicts: Record<Verdict, number>;
  profile: { selected: ProfileName; reads: string[]; matching: ProfileName[] };
  /** only when a module model (not auto) judged the flows: which, and why it was chosen */
  model?: ReportModel;
  variants: VariantCount[];
  handshake: {
    withSyn: number;
    withSynAck: number;
    inferredAcks: number;
    tfo: number;
    serverSpeaksFirst: number;
    oneDirection: number;
    clientRules: Record<ClientRule, number>;
  };
  decode: DecodeCounters;
}

export interface ReportModel {
  id: string;
  label: string;
  /** 'profile': --profile; 'host': identified from the host evidence */
  chosenBy: 'profile' | 'host';
  why: string;
  reads: 'ack' | 'syn' | 'syn-or-ack';
  pick: 'first' | 'last';
  variants: string[];
  nat64Api: string[];
  source: Array<{ repo: string; file: string; fn: string }>;
}

export interface ReportDocument {
  schema: typeof REPORT_SCHEMA;
  tool: { name: 'toa-doctor'; version: string };
  input: {
    files: ReportFileInfo[];
    bundle: ReportBundleInfo | null;
    profile: ProfileName;
    lb: string[];
    flows: FlowsMode;
    maxFlows: number;
    host: string | null;
  };
  summary: ReportSummary;
  flows: ReportFlow[];
  findings: Finding[];
  host?: Record<string, unknown>;
}

export interface ReportInput {
  result: AnalysisResult;
  findings: Finding[];
  captures: CaptureSummary[];
  flows?: FlowsMode;
  bundle?: ReportBundleInfo | null;
  /** host snapshot directory given with --host-dir */
  hostDir?: string | null;
  /** hostToJson() output, when host evidence was given */
  hostJson?: Record<string, unknown> | null;
  /** the tool's version for `tool.version` (the CLI passes src/version.ts toolVersion()) */
  toolVersion: string;
  /** buildReport(): materialise at most this many flows (text/Markdown show a bounded table) */
  flowLimit?: number;
  /** the module model chosen (src/model/choose.ts); nothing is added for `auto` by default */
  model?: ModelChoice | null;
  /** buildReport(): problem flows first, then the others (the HTML page keeps problems under its cap) */
  problemsFirst?: boolean;
}

export function flagString(flags: number): string {
  let s = '';
  if (flags & TcpFlag.SYN) s += 'S';
  if (flags & TcpFlag.FIN) s += 'F';
  if (flags & TcpFlag.RST) s += 'R';
  if (flags & TcpFlag.PSH) s += 'P';
  if (flags & TcpFlag.ACK) s += 'A';
  if (flags & TcpFlag.URG) s += 'U';
  if (flags & TcpFlag.ECE) s += 'E';
  if (flags & TcpFlag.CWR) s += 'C';
  return s || '.';
}

function packetJson(p: PacketFacts | null): ReportPacket | null {
  if (!p) return null;
  const r: ReportPacket = {
    ts: p.ts,
    flags: flagString(p.flags),
    seq: p.seq,
    ack: p.ack,
    payloadLength: p.payloadLength,
    toa: p.toa,
    options: {
      areaLength: p.optionAreaLength,
      used: p.optionBytesUsed,
      free: p.optionBytesFree,
      break: p.breakReason,
      toaAfterEol: p.toaAfterEol,
      toaAfterBreak: p.toaAfterBreak,
    },
    checksum: CHECKSUM_STATUS_NAMES[p.checksum] ?? 'not-checked',
    retransmissions: p.retransmissions,
    tfo: p.tfo,
  };
  if (p.optionBytes !== undefined) r.options.bytes = p.optionBytes;
  return r;
}

export function flowJson(f: FlowRecord): ReportFlow {
  // the packet the module reads: the SYN under TFO and for the SYN-only (kind 28) variants
  const synOnly = f.toa !== null && TOA_VARIANTS.some((v) => v.id === f.toa?.variant && v.synOnly);
  const tfoData = f.tfo && (f.syn?.payloadLength ?? 0) > 0;
  const readPacket = f.model
    ? f.model.readPacket
    : tfoData || synOnly
      ? f.syn
        ? 'syn'
        : null
      : f.handshakeAck
        ? 'ack'
        : null;
  return {
    id: f.id,
    family: f.family,
    client: formatEndpoint(f.client.address, f.client.port),
    server: formatEndpoint(f.server.address, f.server.port),
    clientRule: f.clientRule,
    verdict: f.verdict,
    reason: f.reason,
    toa: f.toa
      ? {
          kind: f.toa.kind,
          length: f.toa.length,
          variant: f.toa.variant,
          family: f.toa.family,
          address: f.toa.address,
          port: f.toa.port,
          packets: f.toa.packets,
        }
      : null,
    firstTs: f.firstTs,
    lastTs: f.lastTs,
    packets: { ...f.packets },
    handshake: {
      readPacket,
      ...(f.model ? { modelReads: f.model.reads } : {}),
      syn: packetJson(f.syn),
      synAck: packetJson(f.synAck),
      ack: packetJson(f.handshakeAck),
      data: packetJson(f.firstData),
      tfo: f.tfo,
      serverSpokeFirst: f.serverSpokeFirst,
      fin: f.fin,
      rst: f.rst,
    },
    laterToa: f.laterToa,
  };
}

/** the flows a report lists, materialised one at a time */
export function listedFlows(result: AnalysisResult, mode: FlowsMode): Iterable<FlowRecord> {
  return mode === 'all' ? result.flows : result.flows.filter(listedAsProblem);
}

function countListed(result: AnalysisResult, mode: FlowsMode): number {
  if (mode === 'all') return result.flows.size;
  let n = 0;
  for (const v of result.flows.verdicts()) if (listedAsProblem(v)) n++;
  return n;
}

function iso(ts: number | null): string | null {
  return ts === null ? null : new Date(Math.round(ts * 1000)).toISOString();
}

function reportModel(c: ModelChoice): ReportModel {
  const m = c.model;
  return {
    id: m.id,
    label: m.label,
    chosenBy: c.by === 'host' ? 'host' : 'profile',
    why: c.why,
    reads: m.reads,
    pick: m.pick,
    variants: m.accepts.map(variantLabel),
    nat64Api: m.nat64Api.map(variantLabel),
    source: m.source,
  };
}

/** No capture at all, host evidence only (a bundle made without -i): nothing to say about packets. */
export function isHostOnly(
  input: Pick<ReportInput, 'captures' | 'bundle' | 'hostDir' | 'hostJson'>,
): boolean {
  return input.captures.length === 0 && !!(input.bundle || input.hostDir || input.hostJson);
}

/** Everything but the flow list. */
export function buildReportHead(input: ReportInput): Omit<ReportDocument, 'flows'> & { flows?: never } {
  const r = input.result;
  const s = r.stats;
  const mode = input.flows ?? 'problems';
  const sev: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of input.findings) sev[f.severity]++;
  const doc: Omit<ReportDocument, 'flows'> = {
    schema: REPORT_SCHEMA,
    tool: { name: 'toa-doctor', version: input.toolVersion },
    input: {
      files: input.captures.map((c) => ({
        path: c.source,
        format: c.format,
        gzip: c.gzip,
        packets: c.packets,
        bytes: c.bytes,
        linkTypes: Object.fromEntries(Object.entries(c.linkTypes).map(([k, v]) => [String(k), v])),
        firstTs: c.firstTs,
        lastTs: c.lastTs,
        warnings: c.warnings,
      })),
      bundle: input.bundle ?? null,
      profile: s.profile,
      lb: [...r.lb],
      flows: mode,
      maxFlows: r.maxFlows,
      host: input.hostDir ?? null,
    },
    summary: {
      verdict: oneLineVerdict(input.findings, s, isHostOnly(input)),
      exitCode: sev.error > 0 ? 1 : 0,
      findings: sev,
      packets: s.packets,
      tcpPackets: s.tcpPackets,
      linkTypes: Object.entries(r.linkTypes)
        .map(([lt, n]) => ({ linkType: Number(lt), name: linkTypeName(Number(lt)), packets: n }))
        .sort((a, b) => b.packets - a.packets),
      firstTs: s.firstTs,
      lastTs: s.lastTs,
      start: iso(s.firstTs),
      end: iso(s.lastTs),
      durationSec: Math.round(s.durationSec * 1e6) / 1e6,
      flows: {
        total: s.flows,
        kept: r.flows.size,
        evicted: r.evicted,
        untrackedPackets: s.untrackedPackets,
        listed: countListed(r, mode),
        ipv4: s.ipv4Flows,
        ipv6: s.ipv6Flows,
        handshakes: s.handshakes,
      },
      verdicts: { ...s.verdicts },
      profile: {
        selected: s.profile,
        reads:
          input.model && input.model.by !== 'default'
            ? [...input.model.model.accepts, ...(input.model.model.extensions ?? [])].map(variantLabel)
            : profileVariantIds(s.profile).map(variantLabel),
        matching: s.matchingProfiles,
      },
      ...(input.model && input.model.by !== 'default' ? { model: reportModel(input.model) } : {}),
      variants: s.variants,
      handshake: {
        withSyn: s.withSyn,
        withSynAck: s.withSynAck,
        inferredAcks: s.inferredAcks,
        tfo: s.tfoFlows,
        serverSpeaksFirst: s.serverSpeaksFirst,
        oneDirection: s.oneDirection,
        clientRules: { ...s.clientRules },
      },
      decode: s.decode,
    },
    findings: input.findings,
  };
  if (input.hostJson) doc.host = input.hostJson;
  return doc as Omit<ReportDocument, 'flows'> & { flows?: never };
}

/** The whole document, flows materialised (fine for reports that list problems or small captures). */
export function buildReport(input: ReportInput): ReportDocument {
  const head = buildReportHead(input);
  const flows: ReportFlow[] = [];
  const limit = input.flowLimit ?? Number.POSITIVE_INFINITY;
  const mode = input.flows ?? 'problems';
  const sources = input.problemsFirst
    ? [
        listedFlows(input.result, 'problems'),
        mode === 'all' ? input.result.flows.filter((v) => !listedAsProblem(v)) : [],
      ]
    : [listedFlows(input.result, mode)];
  fill: for (const src of sources) {
    if (flows.length >= limit) break;
    for (const f of src) {
      flows.push(flowJson(f));
      if (flows.length >= limit) break fill;
    }
  }
  const { findings, host, ...rest } = head;
  const doc: ReportDocument = { ...rest, flows, findings };
  if (host) doc.host = host;
  return doc;
}

function indent(json: string, pad: string): string {
  return json.replace(/\n/g, `\n${pad}`);
}

/**
 * The same text as JSON.stringify(buildReport(input), null, 2), yielded in pieces: the head, then
 * one piece per batch of flows, then findings and host. Memory stays flat with millions of flows.
 */
export function* jsonReportChunks(input: ReportInput, batch = 256): Generator<string> {
  const head = buildReportHead(input);
  const { findings, host, ...rest } = head;
  const headText = JSON.stringify(rest, null, 2);
  // open the object again after its last member
  yield `${headText.slice(0, headText.length - 2)},\n  "flows": [`;
  let first = true;
  let buf: string[] = [];
  for (const f of listedFlows(input.result, input.flows ?? 'problems')) {
    buf.push(`${first ? '' : ','}\n    ${indent(JSON.stringify(flowJson(f), null, 2), '    ')}`);
    first = false;
    if (buf.length >= batch) {
      yield buf.join('');
      buf = [];
    }
  }
  if (buf.length) yield buf.join('');
  yield first ? '],\n' : '\n  ],\n';
  let tail = `  "findings": ${indent(JSON.stringify(findings, null, 2), '  ')}`;
  if (host) tail += `,\n  "host": ${indent(JSON.stringify(host, null, 2), '  ')}`;
  yield `${tail}\n}\n`;
}
