/**
 * How the dashboard shows each verdict: color, a short label, and a one-line meaning + remediation
 * used for the live "top finding" (the final report carries the full diagnosis).
 */
import type { Verdict } from '../flow/types.js';

export interface VerdictStyle {
  color: string;
  label: string;
  meaning: string;
  remediation: string;
}

export const VERDICT_STYLE: Record<Verdict, VerdictStyle> = {
  TOA_OK: {
    color: 'green',
    label: 'OK',
    meaning: 'the packet the module reads carries the client address',
    remediation: 'nothing to fix in the packets; if the app still logs the LB address, check the host panel',
  },
  TOA_MISSING: {
    color: 'red',
    label: 'MISSING',
    meaning: 'no TOA option on the packet the module reads',
    remediation:
      'enable client-IP passing (TOA) on the LB listener, or find the middlebox that strips TCP options',
  },
  TOA_SYN_ONLY: {
    color: 'yellow',
    label: 'SYN-ONLY',
    meaning: 'TOA rides only on the SYN; ACK-reading modules never see it',
    remediation:
      'use a module that reads the SYN (Alibaba CDN tcp_toa), or make the LB tag the handshake ACK',
  },
  TOA_LATE: {
    color: 'yellow',
    label: 'LATE',
    meaning: 'TOA appears only after the packet that creates the socket',
    remediation: 'the module reads the handshake ACK: make the LB tag it (or enable TCP_DEFER_ACCEPT)',
  },
  TOA_MALFORMED: {
    color: 'red',
    label: 'MALFORMED',
    meaning: 'the option list breaks before the TOA; the module stops parsing there',
    remediation: 'find the device that writes the broken option (LB or middlebox) and fix or bypass it',
  },
  TOA_KIND_MISMATCH: {
    color: 'magenta',
    label: 'KIND',
    meaning: 'TOA kind/length differs from what the backend module reads',
    remediation: 'load the module matching the LB (kind 200 vs 254 vs 253), or pick the right --profile',
  },
  TOA_INCONSISTENT: {
    color: 'magenta',
    label: 'INCONSIST',
    meaning: 'packets of one flow carry different TOA addresses',
    remediation: 'several LBs or a buggy LB insert TOA; check the path for double full-NAT',
  },
  TOA_NAT64: {
    color: 'cyan',
    label: 'NAT64',
    meaning: 'IPv6 client address in a TOA on an IPv4 connection',
    remediation: 'the app must fetch the IPv6 address itself (getsockopt 4096 / NAT64-aware module)',
  },
  TOA_BAD_CHECKSUM: {
    color: 'red',
    label: 'BAD-CSUM',
    meaning: 'the TOA-carrying packet has a bad TCP checksum; the kernel drops it',
    remediation: 'the LB did not fix the checksum after inserting TOA (or capture sees TX offload)',
  },
  INCOMPLETE: {
    color: 'gray',
    label: 'INCOMPLETE',
    meaning: 'the handshake was not fully captured',
    remediation: 'capture longer, or on the interface that sees both directions',
  },
};

/** Verdicts that say something is wrong (everything but OK and INCOMPLETE). */
export function isProblem(v: Verdict): boolean {
  return v !== 'TOA_OK' && v !== 'INCOMPLETE';
}
