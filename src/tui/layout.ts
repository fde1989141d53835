/**
 * Dashboard geometry as data (no React): how many lines each section gets for a terminal of
 * `rows` × `columns`, and which flow-table columns fit. The components render exactly these
 * numbers, so the frame height is known before drawing and tests check it without a terminal.
 *
 * Height: the frame is `rows - 1` lines. ink 6.8 (build/ink.js, onRender) clears the whole
 * terminal on every frame once the previous output was as tall as the terminal
 * (`lastOutputHeight >= stdout.rows` → `ansiEscapes.clearTerminal`): the flicker of issue #12. One
 * line less lets it update in place; ink's trailing newline puts the cursor on the last row, so
 * the screen is used to its last line and the title never scrolls off.
 *
 * Width: every line fits `columns`; table columns have priorities (verdict and the two client
 * ip:port columns are never cut; the variant, the server, where the TOA rode are abbreviated or
 * dropped first).
 */
import { formatEndpoint } from '../endpoint.js';
import type { FlowRecord } from '../flow/types.js';
import type { DashboardModel } from './model.js';
import { realClient, toaRode } from './model.js';

/** lines of the help screen's body (see Help.tsx) */
export const HELP_LINES = 13;

export interface HostLayout {
  margin: boolean;
  /** the stats line (counters or "no toa_stats") */
  stats: boolean;
  dmesg: number;
  note: boolean;
}

export interface DashboardLayout {
  /** total frame height: rows - 1 */
  height: number;
  /** the terminal is too small for anything but one line saying so */
  tooSmall: boolean;
  headerLines: 0 | 1 | 2;
  warnings: number;
  verdictMargin: boolean;
  /** verdict counts line */
  counts: boolean;
  /** lines under the counts: 2 (top finding + fix), 1 (top finding, or "no problem flows"), 0 */
  top: 0 | 1 | 2;
  tableMargin: boolean;
  /** table body lines (rows, the "rows x-y of z" line, padding); the column header is extra */
  tableBody: number;
  /** flow rows shown (≤ tableBody; one less when the "rows x-y" line is needed) */
  tableRows: number;
  /** the "rows x-y of z shown" line */
  moreLine: boolean;
  host: HostLayout | null;
  footerMargin: boolean;
  /** help mode: lines of help body shown (incl. its top margin) */
  helpLines: number;
}

const MIN_BODY = 3;

/** Section heights for `model` on a `rows`-line terminal. */
export function dashboardLayout(
  m: Pick<DashboardModel, 'warnings' | 'host' | 'top' | 'verdicts'>,
  opts: { rows: number; flows: number; help?: boolean },
): DashboardLayout {
  const height = Math.max(1, opts.rows - 1);
  const anyFlow = Object.values(m.verdicts).some((n) => n > 0);
  const L: DashboardLayout = {
    height,
    tooSmall: false,
    headerLines: 2,
    warnings: Math.min(2, m.warnings.length),
    verdictMargin: true,
    counts: true,
    top: m.top ? 2 : anyFlow ? 1 : 0,
    tableMargin: true,
    tableBody: 0,
    tableRows: 0,
    moreLine: false,
    host: m.host
      ? { margin: true, stats: true, dmesg: Math.min(3, m.host.dmesg.length), note: m.host.notes.length > 0 }
      : null,
    footerMargin: true,
    helpLines: 0,
  };
  const fixed = () =>
    L.headerLines +
    L.warnings +
    Number(L.verdictMargin) +
    Number(L.counts) +
    L.top +
    Number(L.tableMargin) +
    1 + // column header
    (L.host ? Number(L.host.margin) + 1 + Number(L.host.stats) + L.host.dmesg + Number(L.host.note) : 0) +
    Number(L.footerMargin) +
    1; // footer
  const body = () => height - fixed();
  // what to give up, in order, while the table body has fewer than MIN_BODY lines
  const shed: Array<() => void> = [
    () => {
      if (L.host && L.host.dmesg > 1) L.host.dmesg = 1;
    },
    () => {
      if (L.host) L.host.note = false;
    },
    () => {
      L.footerMargin = false;
    },
    () => {
      if (L.host) L.host.margin = false;
    },
    () => {
      L.verdictMargin = false;
    },
    () => {
      L.tableMargin = false;
    },
    () => {
      if (L.host) L.host.dmesg = 0;
    },
    () => {
      if (L.top === 2) L.top = 1;
    },
    () => {
      if (L.host) L.host.stats = false;
    },
    () => {
      L.warnings = Math.min(L.warnings, 1);
    },
    () => {
      L.host = null;
    },
    () => {
      L.warnings = 0;
    },
    () => {
      L.top = 0;
    },
    () => {
      L.headerLines = 1;
    },
  ];
  for (const step of shed) {
    if (body() >= MIN_BODY) break;
    step();
  }
  if (body() < 1) {
    // not even header + counts + column header + one row + footer: say so on one line
    return {
      ...L,
      tooSmall: true,
      headerLines: 0,
      warnings: 0,
      counts: false,
      top: 0,
      host: null,
      tableBody: 0,
    };
  }
  L.tableBody = body();
  const more = opts.flows > L.tableBody && L.tableBody > 1;
  L.moreLine = more;
  L.tableRows = more ? L.tableBody - 1 : Math.min(L.tableBody, opts.flows);
  if (opts.help) {
    // help replaces verdict bar, table and host panel
    L.helpLines = height - L.headerLines - L.warnings - Number(L.footerMargin) - 1;
  }
  return L;
}

/** Lines the layout adds up to (tests: must equal `height`). */
export function layoutLines(L: DashboardLayout, help = false): number {
  if (L.tooSmall) return L.height;
  const head = L.headerLines + L.warnings;
  const foot = Number(L.footerMargin) + 1;
  if (help) return head + L.helpLines + foot;
  const host = L.host
    ? Number(L.host.margin) + 1 + Number(L.host.stats) + L.host.dmesg + Number(L.host.note)
    : 0;
  return (
    head +
    Number(L.verdictMargin) +
    Number(L.counts) +
    L.top +
    Number(L.tableMargin) +
    1 +
    L.tableBody +
    host +
    foot
  );
}

// ------------------------------------------------------------------ columns

export interface TableColumns {
  client: number;
  lb: number;
  /** 0: dropped */
  server: number;
  /** server shown as ':port' only */
  serverPortOnly: boolean;
  rode: number;
  /** where the TOA rode as S/A/D */
  rodeShort: boolean;
  variant: number;
  verdict: number;
  /** verdicts as the short dashboard labels (OK, MISSING...) */
  verdictShort: boolean;
  /** arrows between client, LB and server */
  arrow: number;
  labels: { client: string; lb: string; server: string; rode: string; variant: string; verdict: string };
}

const ARROW = 3; // ' ← '
const GAP = 1;

/** 'SYN+ACK+DATA' → 'S+A+D', 'ACK 201/6' → 'A 201/6' */
export function shortRode(s: string): string {
  return s
    .replace(/\bSYN\b/g, 'S')
    .replace(/\bACK\b/g, 'A')
    .replace(/\bDATA\b/g, 'D');
}

/** ':8080' (the server's port); with no port, the address alone */
export function serverPort(f: FlowRecord): string {
  return f.server.port === null ? formatEndpoint(f.server.address, null) : `:${f.server.port}`;
}

/** Middle-elide `s` to `w` columns, keeping its end (the port): '2001:db8:…:1]:443'. */
export function elide(s: string, w: number): string {
  if (s.length <= w) return s;
  if (w <= 1) return s.slice(-w);
  const keep = w - 1;
  const tail = Math.min(keep, Math.max(Math.ceil(keep / 2), s.length - s.lastIndexOf(':')));
  return `${s.slice(0, keep - tail)}…${s.slice(s.length - tail)}`;
}

function maxLen(values: string[], min: number): number {
  let m = min;
  for (const v of values) if (v.length > m) m = v.length;
  return m;
}

/** the longest of `labels` that fits `w` (the last one cut to `w` when none does) */
function label(labels: string[], w: number): string {
  return labels.find((l) => l.length <= w) ?? labels[labels.length - 1]!.slice(0, w);
}

/**
 * Column widths for `flows` on a `width`-column terminal. Widths follow the content (the longest
 * address shown), then, while the row is too wide: drop the variant, show only the server's port,
 * abbreviate where the TOA rode, drop the server, drop where it rode, use the short verdict label,
 * and only then elide the middle of the two client addresses (their ports stay).
 */
export function tableColumns(
  flows: FlowRecord[],
  width: number,
  shortLabel: (f: FlowRecord) => string,
): TableColumns {
  const client = maxLen(flows.map(realClient), 3);
  const lb = maxLen(
    flows.map((f) => formatEndpoint(f.client.address, f.client.port)),
    6,
  );
  const c: TableColumns = {
    client: Math.max(client, 'real client (TOA)'.length),
    lb: Math.max(lb, 'LB / source'.length),
    server: maxLen(
      flows.map((f) => formatEndpoint(f.server.address, f.server.port)),
      'server'.length,
    ),
    serverPortOnly: false,
    rode: maxLen(flows.map(toaRode), 'TOA on'.length),
    rodeShort: false,
    variant: maxLen(
      flows.map((f) => f.toa?.variant ?? '-'),
      'variant'.length,
    ),
    verdict: maxLen(
      flows.map((f) => f.verdict),
      'verdict'.length,
    ),
    verdictShort: false,
    arrow: ARROW,
    labels: { client: '', lb: '', server: '', rode: '', variant: '', verdict: '' },
  };
  const total = () => rowWidth(c);
  const steps: Array<() => void> = [
    () => {
      // the headers may be shorter than the longest label
      c.client = Math.max(client, 'client (TOA)'.length);
      c.lb = Math.max(lb, 'source'.length);
    },
    () => {
      c.variant = 0;
    },
    () => {
      c.serverPortOnly = true;
      c.server = maxLen(flows.map(serverPort), 'port'.length);
    },
    () => {
      c.rodeShort = true;
      c.rode = maxLen(
        flows.map((f) => shortRode(toaRode(f))),
        'on'.length,
      );
    },
    () => {
      c.client = Math.max(client, 'TOA'.length);
      c.lb = Math.max(lb, 'src'.length);
    },
    () => {
      c.server = 0;
    },
    () => {
      c.rode = 0;
    },
    () => {
      c.verdictShort = true;
      c.verdict = maxLen(flows.map(shortLabel), 'verdict'.length);
    },
    () => {
      c.arrow = 2; // '← ' without the leading space
    },
  ];
  for (const step of steps) {
    if (total() <= width) break;
    step();
  }
  if (total() > width) {
    // last resort (IPv6 on a narrow terminal): share what is left between the two addresses
    const room = Math.max(2, width - (total() - c.client - c.lb));
    const half = Math.floor(room / 2);
    c.client = Math.max(1, Math.min(c.client, room - Math.min(c.lb, half)));
    c.lb = Math.max(1, room - c.client);
  }
  c.labels = {
    client: label(['real client (TOA)', 'client (TOA)', 'TOA'], c.client),
    lb: label(['LB / source', 'source', 'src'], c.lb),
    server: c.serverPortOnly ? label(['port'], c.server) : 'server',
    rode: label(['TOA on', 'on'], c.rode),
    variant: 'variant',
    verdict: 'verdict',
  };
  return c;
}

/** Width one table row takes (tests: ≤ the terminal width). */
export function rowWidth(c: TableColumns): number {
  return (
    1 +
    c.client +
    c.arrow +
    c.lb +
    (c.server ? c.arrow + c.server : 0) +
    (c.rode ? GAP + c.rode : 0) +
    (c.variant ? GAP + c.variant : 0) +
    GAP +
    c.verdict
  );
}
