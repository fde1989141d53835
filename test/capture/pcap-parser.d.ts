// Minimal typings for the pcap-parser devDependency (used only as a test oracle).
declare module 'pcap-parser' {
  import type { EventEmitter } from 'node:events';
  import type { Readable } from 'node:stream';
  export interface PacketHeader {
    timestampSeconds: number;
    timestampMicroseconds: number;
    capturedLength: number;
    originalLength: number;
  }
  export interface Parser extends EventEmitter {
    on(event: 'packet', cb: (p: { header: PacketHeader; data: Buffer }) => void): this;
    on(event: 'globalHeader', cb: (h: { linkLayerType: number; snapshotLength: number }) => void): this;
    on(event: 'end', cb: () => void): this;
    on(event: 'error', cb: (e: Error) => void): this;
  }
  const pcapParser: { parse(input: string | Readable): Parser };
  export default pcapParser;
}
