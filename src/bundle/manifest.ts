/**
 * manifest.json from someone else's bundle, checked field by field against the schema
 * ('toa-doctor/bundle@1', BundleManifest in archive.ts; README "Bundle layout").
 *
 * One bad field never sinks the rest: a field of the wrong type or over its size limit is dropped (or
 * cut) with a warning that names it, and the other fields are used. Only a manifest that is not a JSON
 * object with a `schema` string and a `members` array is unusable as a whole. Every string has a size
 * limit (MANIFEST_STRING_LIMITS), every list a length limit, so a 50 MB host name cannot reach a report.
 */

import { parseCidr } from '../flow/cidr.js';
import { isProfileName } from '../flow/profiles.js';
import type { AnonymizationInfo, BundleManifest, CaptureInfo, ManifestMember } from './archive.js';

/** Longest accepted string per field (characters); longer ones are cut, with a warning. */
export const MANIFEST_STRING_LIMITS = {
  schema: 64,
  toolVersion: 64,
  commandLine: 4096,
  hostname: 253,
  time: 64,
  note: 1024,
  memberPath: 4096,
  captureField: 256,
  profile: 32,
  lb: 64,
} as const;

/** Longest accepted lists. */
export const MANIFEST_LIST_LIMITS = { notes: 200, lb: 256, members: 10_000 } as const;

export interface ManifestIssue {
  /** the field, as a path: 'hostname', 'analysis.lb[0]', 'members[3]' */
  field: string;
  message: string;
}

export interface CheckedManifest {
  /** null when the value is not a manifest at all */
  manifest: BundleManifest | null;
  issues: ManifestIssue[];
  /** why the whole manifest is unusable (manifest null) */
  fatal: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const HEX64 = /^[0-9a-fA-F]{64}$/;

function kind(v: unknown): string {
  return v === null
    ? 'null'
    : Array.isArray(v)
      ? 'a list'
      : typeof v === 'object'
        ? 'an object'
        : `a ${typeof v}`;
}

export function checkManifest(v: unknown): CheckedManifest {
  const issues: ManifestIssue[] = [];
  const warn = (field: string, message: string) => {
    if (issues.length < 100) issues.push({ field, message });
  };
  if (!isObj(v)) return { manifest: null, issues, fatal: `it is ${kind(v)}, not a JSON object` };
  if (typeof v.schema !== 'string') return { manifest: null, issues, fatal: 'it has no "schema" string' };
  if (!Array.isArray(v.members)) return { manifest: null, issues, fatal: 'it has no "members" list' };

  const str = (field: string, val: unknown, max: number, fallback: string): string => {
    if (typeof val !== 'string') {
      if (val !== undefined) warn(field, `${field} is ${kind(val)}, not a string: ignored`);
      return fallback;
    }
    if (val.length > max) {
      warn(field, `${field} is ${val.length} characters long (limit ${max}): cut`);
      return val.slice(0, max);
    }
    return val;
  };
  const strOrNull = (field: string, val: unknown, max: number): string | null => {
    if (val === null || val === undefined) return null;
    if (typeof val === 'string') return str(field, val, max, '');
    warn(field, `${field} is ${kind(val)}, not a string: ignored`);
    return null;
  };
  const num = (field: string, val: unknown): number | null => {
    if (val === null || val === undefined) return null;
    if (typeof val === 'number' && Number.isFinite(val) && val >= 0) return val;
    warn(field, `${field} is ${kind(val)}, not a non-negative number: ignored`);
    return null;
  };
  const bool = (field: string, val: unknown, fallback: boolean): boolean => {
    if (typeof val === 'boolean') return val;
    if (val !== undefined) warn(field, `${field} is ${kind(val)}, not true/false: ignored`);
    return fallback;
  };

  const schema = str('schema', v.schema, MANIFEST_STRING_LIMITS.schema, '');
  let generator: BundleManifest['generator'] = 'toa-doctor';
  if (v.generator === 'toa-doctor' || v.generator === 'collector-script') generator = v.generator;
  else if (v.generator !== undefined)
    warn('generator', 'generator is not "toa-doctor" or "collector-script": ignored');
  const L = MANIFEST_STRING_LIMITS;

  // ---- members
  const members: ManifestMember[] = [];
  const rawMembers = v.members as unknown[];
  if (rawMembers.length > MANIFEST_LIST_LIMITS.members)
    warn(
      'members',
      `members lists ${rawMembers.length} entries (limit ${MANIFEST_LIST_LIMITS.members}): the rest are ignored`,
    );
  for (let i = 0; i < Math.min(rawMembers.length, MANIFEST_LIST_LIMITS.members); i++) {
    const e = rawMembers[i];
    const f = `members[${i}]`;
    if (!isObj(e) || typeof e.path !== 'string' || e.path === '') {
      warn(f, `${f} is not a member entry (an object with a "path"): ignored`);
      continue;
    }
    if (e.path.length > L.memberPath) {
      warn(f, `${f}.path is longer than ${L.memberPath} characters: ignored`);
      continue;
    }
    const size = typeof e.size === 'number' && Number.isSafeInteger(e.size) && e.size >= 0 ? e.size : -1;
    if (e.size !== undefined && size < 0) warn(`${f}.size`, `${f}.size is not a byte count: not checked`);
    const sha = typeof e.sha256 === 'string' && HEX64.test(e.sha256) ? e.sha256.toLowerCase() : '';
    if (e.sha256 !== undefined && e.sha256 !== '' && sha === '')
      warn(`${f}.sha256`, `${f}.sha256 is not 64 hex digits: not checked`);
    members.push({ path: e.path, size, sha256: sha });
  }

  // ---- capture
  const c = v.capture;
  let capture: CaptureInfo = {
    source: 'none',
    interface: null,
    engine: null,
    filter: null,
    mode: 'handshake',
    durationRequested: null,
    durationActual: null,
    interrupted: false,
    packetsSeen: 0,
    packetsWritten: 0,
    bytesWritten: 0,
    maxBytes: null,
    truncatedAtMaxBytes: false,
    flows: 0,
  };
  if (isObj(c)) {
    const src = c.source;
    capture = {
      source: src === 'live' || src === 'file' || src === 'tcpdump' || src === 'none' ? src : 'none',
      interface: strOrNull('capture.interface', c.interface, L.captureField),
      engine: strOrNull('capture.engine', c.engine, L.captureField),
      filter: strOrNull('capture.filter', c.filter, L.captureField),
      mode: c.mode === 'full' ? 'full' : 'handshake',
      durationRequested: num('capture.durationRequested', c.durationRequested),
      durationActual: num('capture.durationActual', c.durationActual),
      interrupted: bool('capture.interrupted', c.interrupted, false),
      packetsSeen: num('capture.packetsSeen', c.packetsSeen) ?? 0,
      packetsWritten: num('capture.packetsWritten', c.packetsWritten) ?? 0,
      bytesWritten: num('capture.bytesWritten', c.bytesWritten) ?? 0,
      maxBytes: num('capture.maxBytes', c.maxBytes),
      truncatedAtMaxBytes: bool('capture.truncatedAtMaxBytes', c.truncatedAtMaxBytes, false),
      flows: num('capture.flows', c.flows) ?? 0,
    };
    if (src !== undefined && capture.source === 'none' && src !== 'none')
      warn('capture.source', 'capture.source is not live, file, tcpdump or none: ignored');
  } else if (c !== undefined) warn('capture', `capture is ${kind(c)}, not an object: ignored`);

  // ---- notes
  const notes: string[] = [];
  if (Array.isArray(v.notes)) {
    if (v.notes.length > MANIFEST_LIST_LIMITS.notes)
      warn(
        'notes',
        `notes holds ${v.notes.length} entries (limit ${MANIFEST_LIST_LIMITS.notes}): the rest are ignored`,
      );
    v.notes.slice(0, MANIFEST_LIST_LIMITS.notes).forEach((n, i) => {
      if (typeof n === 'string') notes.push(str(`notes[${i}]`, n, L.note, ''));
      else warn(`notes[${i}]`, `notes[${i}] is ${kind(n)}, not a string: ignored`);
    });
  } else if (v.notes !== undefined) warn('notes', `notes is ${kind(v.notes)}, not a list: ignored`);

  // ---- analysis settings (profile, --lb): each bad item is dropped on its own
  let analysis: BundleManifest['analysis'];
  if (isObj(v.analysis)) {
    const a = v.analysis;
    let profile = 'auto';
    if (typeof a.profile === 'string' && isProfileName(a.profile)) profile = a.profile;
    else if (a.profile !== undefined)
      warn(
        'analysis.profile',
        `analysis.profile ${typeof a.profile === 'string' ? `"${a.profile.slice(0, L.profile)}"` : `(${kind(a.profile)})`} is not a known profile: the default (auto) is used`,
      );
    const lb: string[] = [];
    if (Array.isArray(a.lb)) {
      if (a.lb.length > MANIFEST_LIST_LIMITS.lb)
        warn(
          'analysis.lb',
          `analysis.lb holds ${a.lb.length} entries (limit ${MANIFEST_LIST_LIMITS.lb}): the rest are ignored`,
        );
      a.lb.slice(0, MANIFEST_LIST_LIMITS.lb).forEach((x, i) => {
        if (typeof x === 'string' && x.length <= L.lb && parseCidr(x.trim())) lb.push(x.trim());
        else
          warn(
            `analysis.lb[${i}]`,
            `analysis.lb[${i}] ${typeof x === 'string' ? `"${x.slice(0, L.lb)}"` : `(${kind(x)})`} is not an IP address or CIDR: ignored`,
          );
      });
    } else if (a.lb !== undefined) warn('analysis.lb', `analysis.lb is ${kind(a.lb)}, not a list: ignored`);
    analysis = { profile, lb };
  } else if (v.analysis !== undefined)
    warn('analysis', `analysis is ${kind(v.analysis)}, not an object: ignored`);

  // ---- anonymization: informative only; keep it when its shape is right
  let anonymization: AnonymizationInfo | undefined;
  if (isObj(v.anonymization)) {
    const an = v.anonymization;
    const addrs = isObj(an.addresses) ? an.addresses : {};
    anonymization = {
      enabled: bool('anonymization.enabled', an.enabled, false),
      method: an.method === 'crypto-pan-aes128' ? 'crypto-pan-aes128' : null,
      keySource:
        an.keySource === 'random' || an.keySource === 'hex' || an.keySource === 'passphrase'
          ? an.keySource
          : null,
      preserved: Array.isArray(an.preserved)
        ? an.preserved
            .filter((x): x is string => typeof x === 'string')
            .slice(0, 32)
            .map((x) => x.slice(0, 64))
        : [],
      addresses: {
        ipv4: num('anonymization.addresses.ipv4', addrs.ipv4) ?? 0,
        ipv6: num('anonymization.addresses.ipv6', addrs.ipv6) ?? 0,
        mac: num('anonymization.addresses.mac', addrs.mac) ?? 0,
      },
      payload: an.payload === 'kept' ? 'kept' : 'zeroed',
      droppedNonTcp: num('anonymization.droppedNonTcp', an.droppedNonTcp) ?? 0,
    };
    if (Array.isArray(an.options))
      anonymization.options = an.options
        .filter((x): x is string => typeof x === 'string')
        .slice(0, 32)
        .map((x) => x.slice(0, 256));
  } else if (v.anonymization !== undefined)
    warn('anonymization', `anonymization is ${kind(v.anonymization)}, not an object: ignored`);

  const manifest: BundleManifest = {
    schema: schema as BundleManifest['schema'],
    generator,
    toolVersion: str('toolVersion', v.toolVersion, L.toolVersion, '?'),
    commandLine: str('commandLine', v.commandLine, L.commandLine, ''),
    hostname: strOrNull('hostname', v.hostname, L.hostname),
    startedAt: str('startedAt', v.startedAt, L.time, '?'),
    endedAt: str('endedAt', v.endedAt, L.time, '?'),
    anonymized: bool('anonymized', v.anonymized, false),
    ...(anonymization ? { anonymization } : {}),
    ...(analysis ? { analysis } : {}),
    capture,
    notes,
    members,
  };
  return { manifest, issues, fatal: null };
}
