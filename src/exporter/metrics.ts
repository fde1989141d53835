/**
 * The exporter's metrics: ONE table (name, type, help, labels) that the prom-client registry is
 * built from, and that README's metrics table and test/exporter/metrics.test.ts check against.
 *
 * Rules (Prometheus naming): base units, `_total` only on counters, bounded label values:
 *   verdict      one of VERDICTS (src/flow/types.ts)
 *   variant      a TOA_VARIANTS id (`toa-<kind>-<length>`, src/decode/toa.ts) or `none`
 *   packet       the packet the judged TOA rode on: syn, ack, data, later, or none
 *   server_port  the first --port-labels distinct server ports, then `other`
 *   file/counter the names a toa_stats/vtoa_stats file prints (a module has at most ~20)
 * Rows shared with `toa-doctor host --format prometheus` (src/report/host.ts) keep its names, types
 * and labels, so one dashboard reads both; `shared: true` marks them and a test keeps them in step.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge';
export type MetricGroup = 'connections' | 'host' | 'exporter';

export interface MetricRow {
  name: string;
  type: MetricType;
  group: MetricGroup;
  help: string;
  labels: readonly string[];
  /** also written by `host --format prometheus` with the same type and labels */
  shared?: boolean;
}

const row = (
  group: MetricGroup,
  name: string,
  type: MetricType,
  labels: readonly string[],
  help: string,
  shared = false,
): MetricRow => ({ name, type, group, help, labels, shared });

export const METRICS = [
  // ---- connections, each counted once when its verdict is final (src/exporter/final.ts)
  row(
    'connections',
    'toa_doctor_connections_judged_total',
    'counter',
    ['verdict', 'variant', 'packet', 'server_port'],
    'Connections whose verdict became final (read packet passed and settled, FIN/RST, idle or evicted), by verdict, TOA variant, the packet the TOA rode on, and server port.',
  ),
  row(
    'connections',
    'toa_doctor_connections_unjudged_total',
    'counter',
    ['reason'],
    'Flows released without a verdict: no_handshake = neither SYN nor SYN-ACK seen (started before the exporter, or the tail of a released connection).',
  ),
  // ---- host evidence (src/host, every --host-interval)
  row(
    'host',
    'toa_doctor_host_implementation',
    'gauge',
    ['implementation'],
    '1 for each TOA implementation (module model) identified on the host (src/host identify).',
  ),
  row(
    'host',
    'toa_doctor_module_loaded',
    'gauge',
    ['module'],
    '1 when the module is in /proc/modules (or built in); absent when /proc/modules could not be read.',
    true,
  ),
  row(
    'host',
    'toa_doctor_module_state',
    'gauge',
    ['module', 'state'],
    'State of each loaded TOA-related module (1 for the current state).',
    true,
  ),
  row(
    'host',
    'toa_doctor_stats_file_present',
    'gauge',
    ['file'],
    '1 when the stats file exists (absent with a loaded module = loaded-but-dead, or a container).',
    true,
  ),
  row(
    'host',
    'toa_doctor_toa_stats_total',
    'counter',
    ['file', 'counter'],
    'TOA module counter from /proc/net/toa_stats or vtoa_stats under the name the module prints, summed over CPUs.',
  ),
  row(
    'host',
    'toa_doctor_host_sockets_total',
    'counter',
    ['toa'],
    'Child sockets the module created with (toa="with") or without (toa="without") a recognised TOA, whatever the implementation calls the counter (syn_recv_sock_toa / syn_recv_sock_no_toa ...).',
  ),
  row(
    'host',
    'toa_doctor_findings',
    'gauge',
    ['code', 'severity'],
    'Host findings of the last host look (toa-doctor host rules), by code and severity.',
    true,
  ),
  row('host', 'toa_doctor_ebpf_toa_present', 'gauge', [], '1 when /sys/fs/bpf/toa (eBPF TOA) exists.', true),
  row('host', 'toa_doctor_in_container', 'gauge', [], '1 when toa-doctor ran inside a container.', true),
  row(
    'host',
    'toa_doctor_kernel_log_readable',
    'gauge',
    [],
    '1 when dmesg/journal (or --dmesg-file) could be read.',
    true,
  ),
  row(
    'host',
    'toa_doctor_host_up',
    'gauge',
    [],
    '1 when the last host look ran without a read problem (see /healthz for what failed).',
  ),
  row(
    'host',
    'toa_doctor_host_last_collect_timestamp_seconds',
    'gauge',
    [],
    'Unix time of the last host look.',
  ),
  // ---- the exporter's own health
  row(
    'exporter',
    'toa_doctor_exporter_capture_up',
    'gauge',
    [],
    '1 while the capture engine is running on the interface; 0 while it is down and being retried.',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_capture_info',
    'gauge',
    ['engine', 'iface'],
    'The capture engine and interface (value 1).',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_packets_total',
    'counter',
    [],
    'Packets the kernel filter passed and the exporter analysed.',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_kernel_drops_total',
    'counter',
    [],
    'Packets the kernel dropped before the capture engine read them (tcpdump engine; the cap engine cannot count them).',
  ),
  row('exporter', 'toa_doctor_exporter_flows_tracked', 'gauge', [], 'Flows in the flow table now.'),
  row(
    'exporter',
    'toa_doctor_exporter_flow_evictions_total',
    'counter',
    [],
    'Flows evicted because the flow table was full (--max-flows); each is still judged and counted once.',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_untracked_packets_total',
    'counter',
    [],
    'Packets not tracked because the flow table was full and they could not start a useful flow.',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_errors_total',
    'counter',
    ['source'],
    'Errors by source: capture (engine ended or failed to start), host (a host look failed to read something), http.',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_last_packet_timestamp_seconds',
    'gauge',
    [],
    'Unix time of the last analysed packet (0 before the first).',
  ),
  row(
    'exporter',
    'toa_doctor_exporter_build_info',
    'gauge',
    ['version', 'profile'],
    'toa-doctor version and the module profile the verdicts use (value 1).',
  ),
] as const satisfies readonly MetricRow[];

export type MetricName = (typeof METRICS)[number]['name'];

export function metricRow(name: MetricName): MetricRow {
  return METRICS.find((m) => m.name === name)!;
}

export type Labels = Record<string, string>;
/** one sample of a point-in-time value: labels and value */
export type Sample = readonly [Labels, number];

/**
 * The registry, one per exporter instance (never prom-client's global one). Point-in-time values
 * (host evidence, table size, engine counters) come from `source(name)` inside each metric's
 * collect(), so they are read when scraped; judged connections are counted as they happen.
 */
export class ExporterMetrics {
  readonly judged: Counter<string>;
  readonly unjudged: Counter<string>;
  private readonly byName = new Map<string, Counter<string> | Gauge<string>>();

  constructor(
    readonly registry: Registry,
    source: (name: MetricName) => readonly Sample[] | null,
  ) {
    for (const m of METRICS as readonly MetricRow[]) {
      const live =
        m.name === 'toa_doctor_connections_judged_total' ||
        m.name === 'toa_doctor_connections_unjudged_total';
      const name = m.name as MetricName;
      const labelNames = [...m.labels];
      if (m.type === 'counter') {
        const c: Counter<string> = new Counter({
          name: m.name,
          help: m.help,
          labelNames,
          registers: [registry],
          ...(live
            ? {}
            : {
                collect() {
                  const samples = source(name);
                  if (samples === null) return;
                  // a kernel/engine counter read as a value: the latest reading replaces the series
                  c.reset();
                  for (const [l, v] of samples) c.inc(l, Math.max(0, Number.isFinite(v) ? v : 0));
                },
              }),
        });
        this.byName.set(m.name, c);
      } else {
        const g: Gauge<string> = new Gauge({
          name: m.name,
          help: m.help,
          labelNames,
          registers: [registry],
          collect() {
            const samples = source(name);
            if (samples === null) return;
            g.reset();
            for (const [l, v] of samples) g.set(l, Number.isFinite(v) ? v : 0);
          },
        });
        this.byName.set(m.name, g);
      }
    }
    this.judged = this.byName.get('toa_doctor_connections_judged_total') as Counter<string>;
    this.unjudged = this.byName.get('toa_doctor_connections_unjudged_total') as Counter<string>;
  }
}
