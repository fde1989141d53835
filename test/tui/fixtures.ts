import type { FlowRecord, PacketFacts, PacketRole, Verdict } from '../../src/flow/types.js';
import { type DashboardModel, emptyVerdicts, topFinding } from '../../src/tui/model.js';

function facts(toa: boolean, address = '203.0.113.7'): PacketFacts {
  return {
    ts: 1,
    seq: 1,
    ack: 1,
    flags: 0x10,
    payloadLength: 0,
    toa: toa ? [{ variant: 'toa-254-8', kind: 254, length: 8, family: 'ipv4', address, port: 4242 }] : [],
    optionAreaLength: 8,
    optionBytesUsed: 8,
    optionBytesFree: 32,
    breakReason: 'none',
    toaAfterEol: false,
    toaAfterBreak: false,
    checksum: 1,
    retransmissions: 0,
    tfo: false,
  };
}

let nextId = 1;
export function flow(
  verdict: Verdict,
  opts: { cport?: number; toaOn?: PacketRole[]; address?: string; lastTs?: number } = {},
): FlowRecord {
  const toaOn = opts.toaOn ?? (verdict === 'TOA_OK' ? ['ack', 'data'] : []);
  const address = opts.address ?? '203.0.113.7';
  const id = nextId++;
  return {
    id,
    family: 'ipv4',
    client: { address: '198.18.0.100', port: opts.cport ?? 40000 + id },
    server: { address: '198.18.0.2', port: 8080 },
    clientRule: 'syn',
    firstTs: 1,
    lastTs: opts.lastTs ?? id,
    packets: { toServer: 3, toClient: 2 },
    syn: facts(toaOn.includes('syn'), address),
    synAck: facts(false),
    handshakeAck: facts(toaOn.includes('ack'), address),
    firstData: facts(toaOn.includes('data'), address),
    laterToa: [],
    fin: false,
    rst: true,
    serverSpokeFirst: false,
    tfo: false,
    verdict,
    toa: toaOn.length
      ? { variant: 'toa-254-8', kind: 254, length: 8, family: 'ipv4', address, port: 4242, packets: toaOn }
      : null,
    reason: 'test',
  };
}

export function model(flows: FlowRecord[], extra: Partial<DashboardModel> = {}): DashboardModel {
  const verdicts = emptyVerdicts();
  for (const f of flows) verdicts[f.verdict]++;
  return {
    header: {
      iface: 'toad-s',
      engine: 'tcpdump',
      filter: 'tcp',
      profile: 'auto',
      elapsedSec: 65,
      packetsPerSec: 1234,
      packets: 5000,
      flows: flows.length,
      drops: 0,
    },
    verdicts,
    top: topFinding(verdicts),
    flows,
    host: null,
    warnings: [],
    ...extra,
  };
}
