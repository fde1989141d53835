/**
 * Host rules, build-flavour group: TencentOS built-in toa against out-of-tree builds, and the
 * module parameters that change what it does (getpeername rewriting, vtoa mode, debug).
 */
import type { HostEvidence } from '../../host/types-host.js';
import type { Finding } from '../types.js';
import { dmesgRef, finding } from './common.js';

/** A module parameter as a number: decimal, 0x-hex, or Y/N. */
function paramInt(v: string): number {
  const t = v.trim();
  if (/^y$/i.test(t)) return 1;
  if (/^n$/i.test(t)) return 0;
  const x = /^0x([0-9a-f]+)$/i.exec(t);
  const num = x ? Number.parseInt(x[1]!, 16) : Number.parseInt(t, 10);
  return Number.isFinite(num) ? num : 0;
}

export function flavorRules(ev: HostEvidence, out: Finding[]): void {
  const s = ev.snapshot;
  const toa = s.modules.find((m) => m.name === 'toa');
  if (!toa || !(toa.loaded || toa.sysfs)) return;
  const tencentParams = ['vtoa', 'disable_getpeername', 'dbg'].filter((p) => p in toa.parameters);
  const outOfTree = toa.outOfTree || ev.dmesgSummary.outOfTree.includes('toa');
  const tencentKernel = s.kernel.flavor === 'tencentos';
  if (tencentKernel && outOfTree && tencentParams.length === 0) {
    out.push(
      finding('HOST_TENCENTOS_FLAVOR_MIX', {
        title: 'Out-of-tree toa on a TencentOS kernel',
        explanation:
          `The kernel is TencentOS (${s.kernel.flavorReason ?? s.kernel.release}), which ships its own built-in toa ` +
          '(`modprobe toa`, parameters vtoa/dbg/disable_getpeername), but the loaded toa is an out-of-tree module ' +
          '(taint O) without those parameters. Tencent documents that the TencentOS TOA and the generic-Linux tgw_toa ' +
          'are two different TOAs that must not be mixed; the generic-Linux build (tgw_toa_linux_ver) on a TencentOS ' +
          'kernel is the classic mistake.',
        remediation:
          'Use either the built-in module (`rmmod toa; modprobe toa`) or the TencentOS build of tgw_toa ' +
          '(tgw_toa_tlinux_ver.tar.gz) — not the generic-Linux build. Re-open connections afterwards.',
        examples: [
          { ref: '/proc/sys/kernel/osrelease', detail: s.kernel.release ?? undefined },
          {
            ref: '/proc/modules',
            detail: s.procModules?.find((p) => p.name === 'toa')?.raw ?? `taint ${toa.taints}`,
          },
        ],
      }),
    );
  }
  if (!tencentKernel && s.kernel.flavor !== 'unknown' && tencentParams.length > 0) {
    out.push(
      finding('HOST_TENCENTOS_FLAVOR_MIX', {
        title: 'TencentOS-flavoured toa on a non-TencentOS kernel',
        explanation:
          `/sys/module/toa/parameters has ${tencentParams.join(', ')} (the TencentOS toa), but the kernel ` +
          `(${s.kernel.release ?? 'unknown'}) is not TencentOS. The TencentOS and generic-Linux TOA builds are ` +
          'different modules and must not be mixed.',
        remediation:
          'Install the generic-Linux tgw_toa build (tgw_toa_linux_ver.tar.gz) for this kernel instead.',
        examples: tencentParams.map((p) => ({
          ref: `/sys/module/toa/parameters/${p}`,
          detail: toa.parameters[p],
        })),
      }),
    );
  }
  // TencentOS parameters
  const dis = toa.parameters.disable_getpeername;
  if (dis !== undefined && paramInt(dis) > 0) {
    const v = paramInt(dis);
    const which = [v & 1 ? 'IPv4' : null, v & 2 ? 'IPv6' : null].filter(Boolean).join(' and ');
    out.push(
      finding('HOST_GETPEERNAME_DISABLED', {
        title: `TencentOS toa does not rewrite getpeername() for ${which || 'some'} sockets`,
        explanation:
          `/sys/module/toa/parameters/disable_getpeername = ${dis} (bit 1 = IPv4, bit 2 = IPv6): the module still reads ` +
          `the option, but getpeername()/accept() on ${which || 'those'} sockets return the load balancer address.`,
        remediation:
          'Set it to 0 unless the application reads the address another way (VPC netlink): ' +
          '`echo 0 > /sys/module/toa/parameters/disable_getpeername` (or the modprobe option), then re-open connections.',
        examples: [{ ref: '/sys/module/toa/parameters/disable_getpeername', detail: dis }],
      }),
    );
  }
  const vtoa = toa.parameters.vtoa;
  if (vtoa !== undefined && vtoa !== '0' && vtoa !== 'N')
    out.push(
      finding('HOST_TENCENTOS_VTOA_MODE', {
        explanation:
          `/sys/module/toa/parameters/vtoa = ${vtoa}: the module fills sk_tvpc_info from kinds 200/201/202 (client, VPC id, ` +
          'VIP) and answers the VPC_VTOA generic-netlink family. Connections without a TOA are counted as ' +
          'syn_recv_sock_no_toa at getname time.',
        remediation:
          'Nothing to do if your application uses the VPC netlink API; for plain hybrid-cloud TOA (kind 200) vtoa=0 is the classic mode.',
        examples: [{ ref: '/sys/module/toa/parameters/vtoa', detail: vtoa }],
      }),
    );
  const dbg = toa.parameters.dbg;
  const debugOn = (dbg !== undefined && paramInt(dbg) > 0) || ev.dmesgSummary.debugLines > 0;
  if (debugOn)
    out.push(
      finding('HOST_TOA_DEBUG_ENABLED', {
        explanation:
          `${dbg !== undefined && paramInt(dbg) > 0 ? `/sys/module/toa/parameters/dbg = ${dbg}. ` : ''}` +
          `${ev.dmesgSummary.debugLines} [DEBUG] TOA line(s) in the kernel log. Debug lines are printed per connection ` +
          '(Alibaba LVS prints them unconditionally); they are useful to see decoded client addresses but cost CPU and flood the log.',
        remediation:
          'Turn it off after troubleshooting (TencentOS: `echo 0 > /sys/module/toa/parameters/dbg`; others: load a non-debug build).',
        examples: ev.snapshot.dmesg.events
          .filter((e) => e.kind === 'debug')
          .slice(0, 3)
          .map(dmesgRef),
      }),
    );
  if (toa.parameters.vip_enable !== undefined && /^(1|Y)$/i.test(toa.parameters.vip_enable))
    out.push(
      finding('HOST_TTGW_GETSOCKNAME_VIP', {
        explanation:
          'vip_enable=1: besides getpeername() (client address), getsockname() returns the load balancer VIP:vport ' +
          'instead of the local address. Applications that log or bind by local address will see the VIP.',
        remediation:
          'Expected with TTGW; set vip_enable=0 at load time if the application needs the real local address.',
        examples: [{ ref: '/sys/module/toa/parameters/vip_enable', detail: toa.parameters.vip_enable }],
      }),
    );
}
