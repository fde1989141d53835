/**
 * BPF filter for live capture. Default `tcp`; --port/--host narrow it; --filter replaces the
 * `tcp` base with the user's expression (still narrowed by --port/--host).
 *
 * Caveat: the TOA module reads the option from the handshake-completing ACK — a PURE ACK with no
 * payload. A filter that keeps only SYNs, only packets with payload (`greater N`, `len > N`,
 * `tcp[tcpflags] & tcp-push != 0`) or only one direction hides exactly the packet that matters.
 */

export interface FilterOptions {
  filter?: string;
  /** one or more ports (number or comma list) */
  port?: Array<number | string> | number | string;
  /** one or more hosts/networks ('10.0.0.5', '10.0.0.0/8', '2001:db8::/32') */
  host?: string[] | string;
}

function list<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).flatMap((x) =>
    typeof x === 'string' ? (x.split(',').map((s) => s.trim()) as T[]) : [x],
  );
}

function validPort(p: string | number): number {
  const n = typeof p === 'number' ? p : Number(p);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new RangeError(`not a TCP port: ${p}`);
  return n;
}

function hostTerm(h: string): string {
  if (!/^[0-9A-Za-z:.\-_/]+$/.test(h)) throw new RangeError(`not a host or network: ${h}`);
  return h.includes('/') ? `net ${h}` : `host ${h}`;
}

export function buildFilter(o: FilterOptions): string {
  const base = o.filter?.trim() ? o.filter.trim() : 'tcp';
  const ports = list(o.port)
    .filter((p) => p !== '')
    .map(validPort);
  const hosts = list(o.host).filter((h) => h !== '');
  const parts = [ports.length || hosts.length ? (base === 'tcp' ? 'tcp' : `(${base})`) : base];
  if (ports.length)
    parts.push(ports.length === 1 ? `port ${ports[0]}` : `(${ports.map((p) => `port ${p}`).join(' or ')})`);
  if (hosts.length)
    parts.push(hosts.length === 1 ? hostTerm(hosts[0]!) : `(${hosts.map(hostTerm).join(' or ')})`);
  return parts.join(' and ');
}

/**
 * A warning when the filter probably drops the pure handshake ACK the module reads, or null.
 * Heuristic (we cannot evaluate BPF here): payload-length tests, flag tests, one direction.
 */
export function filterCaveat(filter: string): string | null {
  const f = filter.toLowerCase();
  const reasons: string[] = [];
  if (/\bgreater\b|\blen\b|\bless\b/.test(f))
    reasons.push('it tests packet length (pure ACKs carry no payload)');
  if (/tcpflags|tcp\[13\]|tcp-syn|tcp-push|tcp-ack/.test(f)) reasons.push('it tests TCP flags');
  if (/\b(src|dst)\s+(host|port|net)\b|\b(src|dst)\s+\d/.test(f))
    reasons.push('it keeps one direction only (without the SYN-ACK the handshake ACK can only be inferred)');
  if (!reasons.length) return null;
  return `the capture filter may hide the handshake ACK, the packet the TOA module reads: ${reasons.join('; ')}`;
}
