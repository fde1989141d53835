/**
 * The end-to-end TOA lab: a client side whose kernel inserts TOA like a full-NAT LB
 * (bpf/toa-insert.bpf.o on the client's cgroup), a backend with a real TOA reader in its kernel
 * (bpf/toa-read.bpf.o: sock_ops + socket storage + getpeername rewrite, on the backend's cgroup),
 * and an app that logs what getpeername() returns. Both sides live in private network namespaces
 * (src/lab/netns.ts); everything is removed at close(), on exit and on SIGINT/SIGTERM/SIGHUP.
 *
 * Reader modes follow the module table: `ack` reads the packet that creates the socket (the
 * handshake ACK, like every classic toa.ko); `syn-or-ack` also reads the saved SYN, the ACK
 * winning when both carry one (Alibaba CDN eBPF TOA, toa-ebpf/toa-kern.c toa_parse).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { formatEndpoint } from '../decode/toa.js';
import { type BpfHost, BpfSession, checkBpfHost, findTool } from '../probe/bpf.js';
import {
  buildOption,
  encodeInserterConfig,
  encodeReaderConfig,
  INS_MODE,
  PKT,
  type Placement,
  PROBE_CLIENT,
  type ReaderMode,
  variantById,
  variantLabel,
} from '../probe/config.js';
import { ProbeError } from '../probe/errors.js';
import { helperScript, JsonLines } from '../probe/lines.js';
import { createLabNetns, destroyLabNetns, LAB_ADDR, type LabNetns } from './netns.js';

const APP = helperScript(new URL('./app.js', import.meta.url));
const CLIENT = helperScript(new URL('../probe/client-child.js', import.meta.url));

export interface LabOptions {
  /** 'none': no reader at all (a backend without a TOA module) */
  readerMode: ReaderMode | 'none';
  /** variant ids the reader accepts (e.g. a profile's list) */
  readerVariants: readonly string[];
  /** the app listens on :: (dual stack) instead of 0.0.0.0 */
  ipv6Listener?: boolean;
  port?: number;
}

/** One connection the lab makes: what the "LB" writes, and on which packets. */
export interface LabScenario {
  name: string;
  /** variant id of the (first) option, null for none */
  variant: string | null;
  placement: string;
  packets: number;
  mode: number;
  options: Uint8Array[];
  /** the client the option says (address, port|null); null when the option carries none */
  realClient: { address: string; port: number | null } | null;
}

export interface LabConnection {
  scenario: LabScenario;
  /** the client's real endpoint, as a capture sees it */
  client: string;
  /** what the app's getpeername() returned */
  appPeer: string | null;
  /** the app saw the client the option carried */
  appSawRealClient: boolean;
  error: string | null;
}

/** Option port for scenario i: outside the ephemeral range, so a rewritten peer is recognisable. */
const OPTION_PORT_BASE = 10001;

export function labScenario(
  variantId: string,
  placement: Placement,
  i: number,
  extra: Partial<LabScenario> = {},
): LabScenario {
  const v = variantById(variantId);
  if (!v) throw new Error(`unknown variant ${variantId}`);
  const family = v.family === 'ipv6' ? 'ipv6' : 'ipv4';
  const port = OPTION_PORT_BASE + i;
  const address = PROBE_CLIENT[family];
  return {
    name: `${variantLabel(v)} on ${placement.name}`,
    variant: v.id,
    placement: placement.name,
    packets: placement.mask,
    mode: INS_MODE.normal,
    options: [buildOption(v, address, port)],
    realClient: { address, port: v.hasPort ? port : null },
    ...extra,
  };
}

/**
 * The extra LB behaviours a lab can reproduce beyond one clean option: no room for the option,
 * two TOAs (different kinds; the same client, or two different ones, where no client is "real"), a broken one-byte option after the
 * TOA (bpf_store_hdr_opt cannot put a broken option *before* it: it refuses EOL/NOP and checks the
 * list written so far), a TOA with the right kind and a wrong length, and no TOA at all.
 */
export function extraScenarios(start: number): LabScenario[] {
  const ack = { name: 'ack', mask: PKT.ack };
  const out: LabScenario[] = [];
  let i = start;
  const v254 = (addr: string, port: number) => buildOption(variantById('toa-254-8')!, addr, port);
  const v200 = (addr: string, port: number) => buildOption(variantById('toa-200-8')!, addr, port);
  out.push({
    ...labScenario('toa-254-8', ack, i++),
    name: 'no room: 254/8 on ack',
    mode: INS_MODE.noroom,
    realClient: null,
  });
  {
    const p = OPTION_PORT_BASE + i++;
    out.push({
      ...labScenario('toa-254-8', ack, p - OPTION_PORT_BASE),
      name: 'two TOAs, same client: 254/8 then 200/8 on ack',
      options: [v254(PROBE_CLIENT.ipv4, p), v200(PROBE_CLIENT.ipv4, p)],
    });
  }
  {
    // two different clients on one packet: which one a module takes is its model's rule. The lab's
    // readers run with profiles that read 254/8 and not 200/8 (vtoa, ebpf-cdn), so the 254/8 client
    // is the one the app sees, and toa-doctor, judging with the same module model, calls it TOA_OK
    // (under `auto`, which cannot know the rule, it is TOA_INCONSISTENT)
    const p = OPTION_PORT_BASE + i++;
    out.push({
      ...labScenario('toa-254-8', ack, p - OPTION_PORT_BASE),
      name: 'two TOAs, different clients: 254/8 then 200/8 on ack',
      options: [v254(PROBE_CLIENT.ipv4, p), v200('198.51.100.99', p)],
    });
  }
  {
    const p = OPTION_PORT_BASE + i++;
    out.push({
      ...labScenario('toa-254-8', ack, p - OPTION_PORT_BASE),
      name: 'broken 1-byte option after 254/8 on ack',
      options: [v254(PROBE_CLIENT.ipv4, p), Uint8Array.from([77, 1])],
    });
  }
  {
    const p = OPTION_PORT_BASE + i++;
    const o = new Uint8Array(10);
    o.set(v254(PROBE_CLIENT.ipv4, p));
    o[1] = 10;
    out.push({
      ...labScenario('toa-254-8', ack, p - OPTION_PORT_BASE),
      name: 'wrong length: 254/10 on ack',
      options: [o],
      realClient: null,
    });
  }
  out.push({
    ...labScenario('toa-254-8', ack, i++),
    name: 'no TOA',
    options: [],
    realClient: null,
    variant: null,
  });
  return out;
}

const liveLabs = new Set<Lab>();
let hooked = false;

export class Lab {
  private app: ChildProcess | null = null;
  private client: ChildProcess | null = null;
  private appLines: JsonLines | null = null;
  private clientLines: JsonLines | null = null;
  private cfgMap = '';
  /** the backend's cgroup (the reader is attached here; the app runs in it) */
  backendCgroup = '';
  private jobs = 0;
  private closed = false;
  readonly port: number;

  private constructor(
    readonly ns: LabNetns,
    readonly session: BpfSession,
    readonly opts: LabOptions,
  ) {
    this.port = opts.port ?? 8080;
  }

  /** Build the lab; throws ProbeError when the host cannot run it (root, bpftool, cgroup v2...). */
  static async start(opts: LabOptions): Promise<Lab> {
    const host: BpfHost = checkBpfHost(opts.readerMode === 'none' ? ['insert'] : ['insert', 'read']);
    if (!findTool('ip'))
      throw new ProbeError(
        'LAB_NO_IPROUTE',
        'the lab needs `ip` (iproute2) for its network namespaces',
        'install iproute2',
      );
    if (!hooked) {
      hooked = true;
      process.on('exit', () => {
        for (const l of [...liveLabs]) l.close();
      });
    }
    const ns = createLabNetns();
    let session: BpfSession;
    try {
      session = new BpfSession(host, 'lab');
    } catch (e) {
      destroyLabNetns(ns);
      throw e;
    }
    const lab = new Lab(ns, session, opts);
    liveLabs.add(lab);
    try {
      await lab.setup();
    } catch (e) {
      lab.close();
      throw e;
    }
    return lab;
  }

  private async setup(): Promise<void> {
    const s = this.session;
    const ins = s.load('insert');
    const cgClient = s.makeCgroup('lbside');
    s.attach(cgClient, 'sock_ops', `${ins.progs}/toa_insert`);
    this.cfgMap = `${ins.maps}/toa_ins_cfg`;
    const cgBackend = s.makeCgroup('backend');
    this.backendCgroup = cgBackend;
    if (this.opts.readerMode !== 'none') {
      const rd = s.load('read');
      s.mapUpdate(
        `${rd.maps}/toa_rd_cfg`,
        new Uint8Array(4),
        encodeReaderConfig(this.opts.readerMode, this.opts.readerVariants),
      );
      s.attach(cgBackend, 'sock_ops', `${rd.progs}/toa_read`);
      s.attach(cgBackend, 'getpeername4', `${rd.progs}/toa_peer4`);
      s.attach(cgBackend, 'getpeername6', `${rd.progs}/toa_peer6`);
    }
    this.app = spawn('ip', ['netns', 'exec', this.ns.server, process.execPath, APP], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.appLines = new JsonLines(this.app);
    const ready = await this.appLines.next(10_000, (o) => o.event === 'ready', 'the lab app');
    s.enter(cgBackend, Number(ready.pid));
    this.app.stdin!.write(`listen ${this.opts.ipv6Listener ? '::' : '0.0.0.0'} ${this.port}\n`);
    await this.appLines.next(10_000, (o) => o.event === 'listening', 'the lab app');
    this.client = spawn('ip', ['netns', 'exec', this.ns.client, process.execPath, CLIENT], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    this.clientLines = new JsonLines(this.client);
    const hello = await this.clientLines.next(10_000, (o) => !!o.ready, 'the lab client');
    s.enter(cgClient, Number(hello.pid));
  }

  /** Make one connection as the scenario says; resolves with what the app saw. */
  async connect(sc: LabScenario, timeoutMs = 3000): Promise<LabConnection> {
    if (this.closed) throw new Error('lab closed');
    this.session.mapUpdate(
      this.cfgMap,
      new Uint8Array(4),
      encodeInserterConfig({ packets: sc.packets, mode: sc.mode, options: sc.options }),
    );
    const id = this.jobs++;
    this.appLines!.drain((o) => o.event === 'accepted');
    this.client!.stdin!.write(
      `${JSON.stringify({ id, host: LAB_ADDR.server4, port: this.port, request: true, timeoutMs })}\n`,
    );
    const res = await this.clientLines!.next(timeoutMs + 5000, (o) => o.id === id, 'the lab client');
    let acc: Record<string, unknown> | null = null;
    try {
      acc = await this.appLines!.next(timeoutMs, (o) => o.event === 'accepted', 'the lab app');
    } catch {
      acc = null;
    }
    const localPort = Number(res.localPort ?? 0);
    const peerAddr = acc ? String(acc.peer).replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1') : null;
    const peerPort = acc ? Number(acc.peerPort) : null;
    const rc = sc.realClient;
    const saw = !!(acc && rc && peerAddr === rc.address && (rc.port === null || peerPort === rc.port));
    return {
      scenario: sc,
      client: formatEndpoint(LAB_ADDR.client4, localPort),
      appPeer: acc ? formatEndpoint(String(acc.peer), peerPort) : null,
      appSawRealClient: saw,
      error: res.error ? String(res.error) : acc ? null : 'the app did not accept the connection',
    };
  }

  /** the shell command that runs something inside the backend's namespace */
  backendCommand(cmd: string): string {
    return `ip netns exec ${this.ns.server} ${cmd}`;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    liveLabs.delete(this);
    for (const c of [this.client, this.app]) {
      if (c && c.exitCode === null) c.kill('SIGKILL');
    }
    this.session.close();
    destroyLabNetns(this.ns);
  }
}
