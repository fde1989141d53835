/**
 * Host rules, remaining group: an empty snapshot, the kernel log unavailable, the toa_table and
 * hookers notes.
 */
import type { HostEvidence } from '../../host/types-host.js';
import { signed } from '../finding.js';
import type { Finding } from '../types.js';
import { finding } from './common.js';

export function emptyRule(ev: HostEvidence, out: Finding[]): void {
  const total = ev.normalized.getnameEmpty;
  if (total === null || total === 0) return;
  const d = ev.deltas?.normalized.getnameEmpty ?? null;
  out.push(
    finding('HOST_GETNAME_EMPTY_NORMAL', {
      title: `getname_toa_empty = ${total}${d !== null ? ` (${signed(d)})` : ''}: not a problem by itself`,
      explanation:
        'getname_toa_empty counts every getname call the module did not rewrite: every getsockname() (local address), ' +
        'every getpeername() on a socket without TOA, and failed calls. Servers call getsockname() a lot, so a large, ' +
        'fast-growing value is normal.',
      remediation: 'Look at syn_recv_sock_toa / syn_recv_sock_no_toa and getname_toa_ok instead.',
      examples: [
        { ref: ev.snapshot.stats.map((f) => f.path).join(', '), detail: `getname_toa_empty=${total}` },
      ],
    }),
  );
}

export function miscRules(ev: HostEvidence, out: Finding[], active: boolean): void {
  const s = ev.snapshot;
  if (s.dmesg.source === null && s.dmesg.error !== 'not read')
    out.push(
      finding('HOST_DMESG_UNAVAILABLE', {
        explanation: `No kernel log: ${s.dmesg.error ?? 'unknown reason'}. Load/hook/failure lines (and the loaded-but-dead message) cannot be checked.`,
        remediation:
          'Run as root (dmesg_restrict=1 needs CAP_SYSLOG), or pass --dmesg-file with `dmesg -T` output saved on the host.',
      }),
    );
  if (s.toaTable)
    out.push(
      finding('HOST_TOA_TABLE_PRESENT', {
        title: s.toaTable.read
          ? `/proc/net/toa_table: ${s.toaTable.entries} entries`
          : '/proc/net/toa_table present (not read)',
        explanation: `${s.toaTable.warning} The format is not public; toa-doctor counts lines with an address.`,
        remediation: s.toaTable.read
          ? 'Nothing to do.'
          : 'Use --toa-table to read it when the server is not busy.',
        examples: s.toaTable.lines.slice(0, 3).map((l) => ({ ref: s.toaTable!.path, detail: l })),
        flows: s.toaTable.entries ?? 0,
      }),
    );
  if (active && s.hookers) {
    const shared = s.hookers.filter((h) => h.hookers > 1);
    if (shared.length)
      out.push(
        finding('HOST_HOOKERS_SHARED', {
          explanation:
            'The hookers framework chains consumers properly, but more than one consumer on getname/syn_recv_sock means ' +
            'another module (besides vtoa/toa) rewrites addresses too; the order decides who wins.',
          remediation: 'Check `lsmod` for other consumers of hookers.',
          examples: shared.map((h) => ({ ref: '/proc/hookers', detail: `${h.place} hookers:${h.hookers}` })),
        }),
      );
  }
}
