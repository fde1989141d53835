/**
 * The one verdict table: for every code of VERDICTS (./types.ts) its labels, its tone, whether it
 * is a problem, its one-line meaning and remedy, and the capture finding code that carries the full
 * remediation (src/diagnose/index.ts CAPTURE_FINDING_CODES). Every renderer reads it: the text and
 * Markdown reports, the live dashboard (src/tui) and the HTML page (src/report/html). Tones are
 * abstract; each renderer maps a tone to its colours in one place (chalk, ink, CSS).
 *
 * Two meanings of "problem", both named here:
 *   isProblem(v)        something is wrong with the TOA: every verdict but TOA_OK and INCOMPLETE
 *                       (the dashboard's top verdict and problems-first sort)
 *   listedAsProblem(v)  the `--flows problems` rule (README): every verdict but TOA_OK, so a
 *                       connection nothing could be said about is still listed for a look
 */
import type { Verdict } from './types.js';

/** ok: the TOA arrives; bad: the module misses it; warn: it arrives but needs care; muted: no judgement */
export type VerdictTone = 'ok' | 'bad' | 'warn' | 'muted';

export interface VerdictInfo {
  /** human label ('SYN ONLY') */
  label: string;
  /** at most 10 characters, for narrow columns ('SYN-ONLY') */
  short: string;
  tone: VerdictTone;
  /** something is wrong with the TOA (not TOA_OK, not INCOMPLETE) */
  isProblem: boolean;
  /** one line: what the verdict says */
  meaning: string;
  /** one line: what to do (the finding below has the full remediation) */
  remedy: string;
  /** the capture finding code that reports this verdict with its full remediation */
  finding: string;
  /** display order, problems first (0 first) */
  rank: number;
}

export const VERDICT_INFO: Readonly<Record<Verdict, VerdictInfo>> = {
  TOA_OK: {
    label: 'OK',
    short: 'OK',
    tone: 'ok',
    isProblem: false,
    meaning: 'the packet the module reads carries the client address',
    remedy: 'nothing to fix in the packets; if the app still logs the LB address, check the host panel',
    finding: 'TOA_OK',
    rank: 9,
  },
  TOA_MISSING: {
    label: 'MISSING',
    short: 'MISSING',
    tone: 'bad',
    isProblem: true,
    meaning: 'no TOA on the packet the module reads',
    remedy:
      'enable client-IP passing (TOA) on the LB listener, or find the middlebox that strips TCP options',
    finding: 'TOA_MISSING',
    rank: 0,
  },
  TOA_SYN_ONLY: {
    label: 'SYN ONLY',
    short: 'SYN-ONLY',
    tone: 'bad',
    isProblem: true,
    meaning: 'TOA rides only on the SYN; ACK-reading modules never see it',
    remedy: 'use a module that reads the SYN (Alibaba CDN tcp_toa), or make the LB tag the handshake ACK',
    finding: 'TOA_SYN_ONLY',
    rank: 4,
  },
  TOA_LATE: {
    label: 'LATE',
    short: 'LATE',
    tone: 'bad',
    isProblem: true,
    meaning: 'TOA appears only after the packet that creates the socket',
    remedy: 'the module reads the handshake ACK: make the LB tag it (or enable TCP_DEFER_ACCEPT)',
    finding: 'TOA_LATE',
    rank: 5,
  },
  TOA_MALFORMED: {
    label: 'MALFORMED',
    short: 'MALFORMED',
    tone: 'bad',
    isProblem: true,
    meaning: 'the option list breaks before the TOA; the module stops parsing there',
    remedy: 'find the device that writes the broken option (LB or middlebox) and fix or bypass it',
    finding: 'TOA_MALFORMED',
    rank: 1,
  },
  TOA_KIND_MISMATCH: {
    label: 'KIND MISMATCH',
    short: 'KIND',
    tone: 'bad',
    isProblem: true,
    meaning: 'the TOA kind/length differs from what the module reads',
    remedy: 'load the module matching the LB (kind 200 vs 254 vs 253), or pick the right --profile',
    finding: 'KIND_MISMATCH',
    rank: 3,
  },
  TOA_INCONSISTENT: {
    label: 'INCONSISTENT',
    short: 'INCONSIST',
    tone: 'warn',
    isProblem: true,
    meaning: 'packets of one connection carry different TOA addresses',
    remedy: 'several LBs or a buggy LB insert TOA; check the path for double full-NAT',
    finding: 'TOA_INCONSISTENT',
    rank: 6,
  },
  TOA_NAT64: {
    label: 'NAT64',
    short: 'NAT64',
    tone: 'warn',
    isProblem: true,
    meaning: 'an IPv6 client address in a TOA on an IPv4 connection',
    remedy: 'the app must fetch the IPv6 address itself (getsockopt 4096 / NAT64-aware module)',
    finding: 'TOA_NAT64',
    rank: 7,
  },
  TOA_BAD_CHECKSUM: {
    label: 'BAD CHECKSUM',
    short: 'BAD-CSUM',
    tone: 'bad',
    isProblem: true,
    meaning: 'the TOA-carrying packet has a bad TCP checksum; the kernel drops it',
    remedy: 'the LB did not fix the checksum after inserting TOA (or capture sees TX offload)',
    finding: 'TOA_BAD_CHECKSUM',
    rank: 2,
  },
  INCOMPLETE: {
    label: 'INCOMPLETE',
    short: 'INCOMPLETE',
    tone: 'muted',
    isProblem: false,
    meaning: 'the handshake was not fully captured',
    remedy: 'capture longer, or on the interface that sees both directions',
    finding: 'INCOMPLETE_FLOWS',
    rank: 8,
  },
};

/** Something is wrong with the TOA: every verdict but TOA_OK and INCOMPLETE. */
export function isProblem(v: Verdict): boolean {
  return VERDICT_INFO[v].isProblem;
}

/** The `--flows problems` rule (README "read"): the verdict is not TOA_OK (INCOMPLETE is listed). */
export function listedAsProblem(v: Verdict): boolean {
  return v !== 'TOA_OK';
}
