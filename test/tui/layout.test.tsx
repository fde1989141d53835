/**
 * Dashboard geometry (issue #12), without a terminal: the layout adds up to rows - 1 lines for any
 * model (flows, warnings, host panel with dmesg lines and a note, help), the rendered frame has
 * exactly that many lines and none wider than the terminal, and the table keeps the verdict and
 * both client ip:port columns whole, dropping the rest in priority order. The real terminal is in
 * dashboard-pty.test.ts. (Widths are counted in code points: every character the dashboard draws,
 * ← → › … ▲ ✓ included, takes one column.)
 */
import { EventEmitter } from 'node:events';
import { render } from 'ink';
import { afterEach, describe, expect, it } from 'vitest';
import type { FlowRecord } from '../../src/flow/types.js';
import { Dashboard } from '../../src/tui/Dashboard.js';
import { dashboardLayout, elide, layoutLines, rowWidth, tableColumns } from '../../src/tui/layout.js';
import type { DashboardModel, HostPanelModel } from '../../src/tui/model.js';
import { createStore } from '../../src/tui/store.js';
import { VERDICT_STYLE } from '../../src/tui/verdicts.js';
import { flow, model } from './fixtures.js';

const host = (dmesg: number, notes: number): HostPanelModel => ({
  source: '/',
  mode: 'poll',
  modules: ['toa: Live'],
  statsLabel: '/proc/net/toa_stats classic (alibaba)',
  counters: [{ name: 'syn_recv_sock_toa', total: 120, perSec: 1.5 }],
  dmesg: Array.from({ length: dmesg }, (_, i) => `[${i}.0] TOA: a kernel log line number ${i} `.repeat(3)),
  notes: Array.from({ length: notes }, (_, i) => `cannot read something ${i}`),
  updatedAtMs: 0,
});

function manyFlows(n: number): FlowRecord[] {
  const verdicts = ['TOA_OK', 'TOA_MISSING', 'TOA_KIND_MISMATCH', 'TOA_SYN_ONLY', 'TOA_NAT64'] as const;
  return Array.from({ length: n }, (_, i) =>
    flow(verdicts[i % verdicts.length]!, {
      cport: 40000 + i,
      toaOn: i % 2 ? ['syn', 'ack', 'data'] : ['ack'],
    }),
  );
}

const SIZES: Array<[number, number]> = [
  [80, 24],
  [120, 40],
  [160, 60],
  [60, 15],
  [100, 10],
  [70, 8],
];

function models(): Array<[string, DashboardModel]> {
  const out: Array<[string, DashboardModel]> = [];
  for (const n of [0, 1, 5, 300])
    for (const w of [0, 1, 3])
      for (const h of [null, host(0, 0), host(2, 0), host(6, 2)])
        out.push([
          `${n} flows, ${w} warnings, host ${h ? `${h.dmesg.length} dmesg ${h.notes.length} notes` : 'none'}`,
          model(manyFlows(n), {
            host: h,
            warnings: Array.from({ length: w }, (_, i) => `warning ${i} `.repeat(12)),
          }),
        ]);
  return out;
}

describe('dashboardLayout', () => {
  it('adds up to rows - 1 lines for every model and size, help screen included', () => {
    for (const [, rows] of SIZES)
      for (const [name, m] of models())
        for (const help of [false, true]) {
          const L = dashboardLayout(m, { rows, flows: m.flows.length, help });
          expect(layoutLines(L, help), `${rows} rows, ${name}, help ${help}`).toBe(rows - 1);
          if (!L.tooSmall) {
            expect(L.tableRows).toBeLessThanOrEqual(L.tableBody - (L.moreLine ? 1 : 0));
            expect(L.tableRows).toBe(Math.min(m.flows.length, L.tableBody - (L.moreLine ? 1 : 0)));
          }
        }
  });
  it('keeps every section on a tall terminal and sheds the host panel before the table on a short one', () => {
    const m = model(manyFlows(50), { host: host(5, 1), warnings: ['w'] });
    const tall = dashboardLayout(m, { rows: 60, flows: 50 });
    expect(tall.host).toEqual({ margin: true, stats: true, dmesg: 3, note: true });
    expect(tall.top).toBe(2);
    const short = dashboardLayout(m, { rows: 15, flows: 50 });
    expect(short.tableBody).toBeGreaterThanOrEqual(3);
    expect(short.headerLines).toBe(2);
  });
});

describe('tableColumns', () => {
  it('fits the width, keeps the verdict name and both client ip:port whole for IPv4 from 60 columns', () => {
    const flows = manyFlows(20);
    for (const width of [60, 70, 80, 100, 120, 160]) {
      const c = tableColumns(flows, width, (f) => VERDICT_STYLE[f.verdict].label);
      expect(rowWidth(c), `${width}`).toBeLessThanOrEqual(width);
      expect(c.verdictShort, `${width}`).toBe(false);
      expect(c.verdict).toBeGreaterThanOrEqual('TOA_KIND_MISMATCH'.length);
      expect(c.client).toBeGreaterThanOrEqual('203.0.113.7:4242'.length);
      expect(c.lb).toBeGreaterThanOrEqual('198.18.0.100:40019'.length);
    }
    // what gives way first: the variant, then the server's address (its port stays)
    expect(tableColumns(flows, 160, () => '').variant).toBeGreaterThan(0);
    const at80 = tableColumns(flows, 80, () => '');
    expect(at80.variant).toBe(0);
    expect(at80.rode).toBeGreaterThan(0);
  });
  it('IPv6 on a narrow terminal: elides the middle of the address, never its port', () => {
    const v6 = flow('TOA_NAT64', { address: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff' });
    v6.toa = { ...v6.toa!, address: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff', port: 4242, family: 'ipv6' };
    v6.toa.packets = ['ack'];
    v6.client = { address: '2001:db8:1111:2222:3333:4444:5555:6666', port: 51234 };
    const c = tableColumns([v6], 60, (f) => VERDICT_STYLE[f.verdict].label);
    expect(rowWidth(c)).toBeLessThanOrEqual(60);
    expect(elide('[2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff]:4242', c.client)).toMatch(/…[^…]*\]:4242$/);
    expect(elide('[2001:db8:1111:2222:3333:4444:5555:6666]:51234', c.lb)).toMatch(/:51234$/);
  });
});

/** a terminal of a given size for ink (debug mode: every frame written whole, no escapes) */
class FakeTerminal extends EventEmitter {
  frames: string[] = [];
  isTTY = false;
  constructor(
    readonly columns: number,
    readonly rows: number,
  ) {
    super();
  }
  write(s: string) {
    this.frames.push(s);
    return true;
  }
}
class FakeStdin extends EventEmitter {
  isTTY = false;
  setEncoding() {}
  setRawMode() {}
  resume() {}
  pause() {}
  ref() {}
  unref() {}
  read() {
    return null;
  }
}

let unmounts: Array<() => void> = [];
afterEach(() => {
  for (const u of unmounts) u();
  unmounts = [];
});

describe('rendered frame', () => {
  for (const [columns, rows] of SIZES) {
    it(`${columns}x${rows}: rows - 1 lines, none wider than the terminal`, async () => {
      for (const [name, m] of models()) {
        const out = new FakeTerminal(columns, rows);
        const inst = render(
          <Dashboard store={createStore(m)} onQuit={() => undefined} rows={rows} columns={columns} />,
          {
            stdout: out as unknown as NodeJS.WriteStream,
            stdin: new FakeStdin() as unknown as NodeJS.ReadStream,
            debug: true,
            exitOnCtrlC: false,
            patchConsole: false,
          },
        );
        unmounts.push(() => inst.unmount());
        await new Promise((r) => setTimeout(r, 5));
        const frame = out.frames.at(-1) ?? '';
        const lines = frame.split('\n');
        expect(lines.length, `${name}\n${frame}`).toBe(rows - 1);
        for (const l of lines) expect([...l].length, `${name}: ${l}`).toBeLessThanOrEqual(columns);
        inst.unmount();
      }
    });
  }
});
