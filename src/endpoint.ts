/**
 * The one text form of an endpoint (address plus optional port), for every renderer: text, Markdown,
 * JSON strings, the dashboard, HTML, findings. A leaf with no imports, so every layer may use it (host
 * code, which never imports src/decode, included).
 *
 * The rule is RFC 5952 section 6: an IPv6 address is bracketed only when a port follows it
 * (`[2001:db8::1]:80`); an address alone is written bare (`2001:db8::1`, `192.0.2.7`).
 */

/** `192.0.2.77:54321`, `[2001:db8::1]:80`; with no port the address alone: `192.0.2.77`, `2001:db8::1`. */
export function formatEndpoint(address: string, port: number | null): string {
  if (port === null) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
