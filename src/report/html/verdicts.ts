/**
 * How the page shows each verdict: a text label (colour is never the only signal), a tone the CSS
 * maps to colours (light, dark and print), and a one-line meaning. Unknown verdicts (a report from
 * a newer version) get a neutral row, never an error.
 */

export type Tone = 'ok' | 'error' | 'warn' | 'info' | 'muted';

export interface VerdictLook {
  label: string;
  tone: Tone;
  meaning: string;
  /** display order: problems first */
  rank: number;
}

export const VERDICT_LOOK: Record<string, VerdictLook> = {
  TOA_MISSING: { label: 'MISSING', tone: 'error', rank: 0, meaning: 'no TOA on the packet the module reads' },
  TOA_MALFORMED: {
    label: 'MALFORMED',
    tone: 'error',
    rank: 1,
    meaning: 'the option list breaks before the TOA; the module stops parsing there',
  },
  TOA_BAD_CHECKSUM: {
    label: 'BAD CHECKSUM',
    tone: 'error',
    rank: 2,
    meaning: 'the TOA-carrying packet has a bad TCP checksum; the kernel drops it',
  },
  TOA_KIND_MISMATCH: {
    label: 'KIND MISMATCH',
    tone: 'error',
    rank: 3,
    meaning: 'the TOA kind/length differs from what the module reads',
  },
  TOA_SYN_ONLY: {
    label: 'SYN ONLY',
    tone: 'warn',
    rank: 4,
    meaning: 'TOA rides only on the SYN; ACK-reading modules never see it',
  },
  TOA_LATE: {
    label: 'LATE',
    tone: 'warn',
    rank: 5,
    meaning: 'TOA appears only after the packet that creates the socket',
  },
  TOA_INCONSISTENT: {
    label: 'INCONSISTENT',
    tone: 'warn',
    rank: 6,
    meaning: 'packets of one connection carry different TOA addresses',
  },
  TOA_NAT64: {
    label: 'NAT64',
    tone: 'info',
    rank: 7,
    meaning: 'an IPv6 client address in a TOA on an IPv4 connection',
  },
  INCOMPLETE: {
    label: 'INCOMPLETE',
    tone: 'muted',
    rank: 8,
    meaning: 'the handshake was not fully captured',
  },
  TOA_OK: {
    label: 'OK',
    tone: 'ok',
    rank: 9,
    meaning: 'the packet the module reads carries the client address',
  },
};

export function verdictLook(v: string): VerdictLook {
  return (
    VERDICT_LOOK[v] ?? {
      label: v || 'UNKNOWN',
      tone: 'muted',
      rank: 8.5,
      meaning: 'a verdict this version does not know',
    }
  );
}

export const SEVERITY_LOOK: Record<string, { label: string; tone: Tone }> = {
  error: { label: 'ERROR', tone: 'error' },
  warning: { label: 'WARNING', tone: 'warn' },
  info: { label: 'INFO', tone: 'info' },
};
