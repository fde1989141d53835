// Minimal typings for the optional `cap` package (libpcap binding); no @types package exists.
declare module 'cap' {
  export interface DeviceAddress {
    addr: string;
    netmask?: string;
    broadaddr?: string;
  }
  export interface Device {
    name: string;
    description?: string;
    addresses: DeviceAddress[];
    flags?: string;
  }
  export class Cap {
    constructor();
    /** returns the link type name, e.g. 'ETHERNET', 'LINUX_SLL', 'RAW', 'NULL' */
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    close(): void;
    send(buffer: Buffer, nBytes?: number): void;
    setMinBytes?(n: number): void;
    on(event: 'packet', listener: (nbytes: number, truncated: boolean) => void): this;
    removeAllListeners(event?: string): this;
    static findDevice(ip?: string): string | undefined;
    static deviceList(): Device[];
  }
  const capPkg: { Cap: typeof Cap; decoders: unknown };
  export default capPkg;
}
