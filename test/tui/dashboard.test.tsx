import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Dashboard } from '../../src/tui/Dashboard.js';
import { createStore } from '../../src/tui/store.js';
import { flow, model } from './fixtures.js';

const tick = () => new Promise((r) => setTimeout(r, 30));
/** wait until the last frame satisfies `ok` (renders are asynchronous; a busy machine is slow) */
async function until(frame: () => string, ok: (f: string) => boolean, ms = 3000): Promise<string> {
  const end = Date.now() + ms;
  while (!ok(frame()) && Date.now() < end) await tick();
  return frame();
}
// ANSI-free frames
const plain = (s: string | undefined) => (s ?? '').replace(/\x1b\[[0-9;]*m/g, '');

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function mount(m = model([])) {
  const store = createStore(m);
  const onQuit = vi.fn();
  const r = render(<Dashboard store={store} onQuit={onQuit} rows={40} />);
  cleanups.push(r.unmount);
  return { ...r, store, onQuit, frame: () => plain(r.lastFrame()) };
}

describe('Dashboard', () => {
  it('shows the header with interface, engine, filter, rate, flows and drops', () => {
    const { frame } = mount(model([flow('TOA_OK')]));
    expect(frame()).toContain('toad-s');
    expect(frame()).toContain('engine tcpdump');
    expect(frame()).toContain("filter 'tcp'");
    expect(frame()).toContain('01:05');
    expect(frame()).toContain('1.2k pkt/s');
    expect(frame()).toContain('flows 1');
    expect(frame()).toContain('drops 0');
  });

  it('shows verdict counts and the top finding with its remediation', () => {
    const flows = [
      flow('TOA_OK'),
      flow('TOA_OK'),
      flow('TOA_MISSING'),
      flow('TOA_MISSING'),
      flow('TOA_MISSING'),
    ];
    const { frame } = mount(model(flows));
    expect(frame()).toContain('OK 2');
    expect(frame()).toContain('MISSING 3');
    expect(frame()).toMatch(/TOA_MISSING \(3 flows, 60%\)/);
    expect(frame()).toContain('fix: enable client-IP passing');
  });

  it('lists flow rows: real client ← LB → server, where TOA rode, verdict; problems first', () => {
    const ok = flow('TOA_OK', { cport: 41001, address: '203.0.113.9' });
    const missing = flow('TOA_MISSING', { cport: 41002 });
    const { frame } = mount(model([ok, missing]));
    const lines = frame().split('\n');
    const okLine = lines.find((l) => l.includes('198.18.0.100:41001'))!;
    const missLine = lines.find((l) => l.includes('198.18.0.100:41002'))!;
    expect(okLine).toMatch(
      /203\.0\.113\.9:4242\s+←\s+198\.18\.0\.100:41001\s+→\s+198\.18\.0\.2:8080\s+ACK\+DATA\s+(toa-254-8\s+)?TOA_OK/,
    );
    expect(missLine).toMatch(/-\s+←\s+198\.18\.0\.100:41002.*TOA_MISSING/);
    expect(lines.indexOf(missLine)).toBeLessThan(lines.indexOf(okLine));
  });

  it('updates from the store and shows the help screen on ?', async () => {
    const r = mount(model([]));
    expect(r.frame()).toContain('no flows yet');
    r.store.set(model([flow('TOA_SYN_ONLY', { toaOn: ['syn'] })]));
    expect(await until(r.frame, (f) => f.includes('SYN-ONLY 1'))).toContain('SYN-ONLY 1');
    r.stdin.write('?');
    const help = await until(r.frame, (f) => f.includes('Keys'));
    expect(help).toContain('Keys');
    expect(help).toContain('cycle the verdict filter');
    r.stdin.write('?');
    const back = await until(r.frame, (f) => !f.includes('cycle the verdict filter'));
    expect(back).not.toContain('cycle the verdict filter');
    expect(back).toContain('SYN-ONLY 1');
  });

  it('filters by verdict with v, sorts with s, pauses with p, quits with q', async () => {
    const r = mount(model([flow('TOA_OK', { cport: 42001 }), flow('TOA_MISSING', { cport: 42002 })]));
    r.stdin.write('v'); // first verdict present: TOA_OK
    let f = await until(r.frame, (x) => x.includes('v filter: OK'));
    expect(f).toContain('42001');
    expect(f).not.toContain('42002');
    r.stdin.write('v'); // TOA_MISSING
    f = await until(r.frame, (x) => x.includes('v filter: MISSING'));
    expect(f).toContain('42002');
    expect(f).not.toContain('42001');
    r.stdin.write('v'); // all
    f = await until(r.frame, (x) => x.includes('v filter: all'));
    expect(f).toContain('42001');
    expect(f).toContain('42002');
    r.stdin.write('s');
    expect(await until(r.frame, (x) => x.includes('s sort: newest'))).toContain('s sort: newest');
    r.stdin.write('p');
    expect(await until(r.frame, (x) => x.includes('[PAUSED]'))).toContain('[PAUSED]');
    r.store.set(model([flow('TOA_MALFORMED')]));
    await tick();
    await tick();
    expect(r.frame()).not.toContain('MALFORMED');
    r.stdin.write('p');
    expect(await until(r.frame, (x) => x.includes('MALFORMED'))).toContain('MALFORMED');
    r.stdin.write('q');
    const end = Date.now() + 3000;
    while (r.onQuit.mock.calls.length === 0 && Date.now() < end) await tick();
    expect(r.onQuit).toHaveBeenCalledTimes(1);
  });

  it('scrolls the flow table with j/k and arrow keys', async () => {
    const flows = Array.from({ length: 60 }, (_, i) =>
      flow('TOA_OK', { cport: 50000 + i, lastTs: 1000 - i }),
    );
    const r = mount(model(flows));
    expect(r.frame()).toContain('50000');
    expect(r.frame()).not.toContain('50059');
    r.stdin.write('G');
    await until(r.frame, (f) => f.includes('50059'));
    expect(r.frame()).toContain('50059');
    expect(r.frame()).not.toMatch(/:50000\b/);
    for (let i = 0; i < 60; i++) r.stdin.write('k');
    await until(r.frame, (f) => /›\S*\s*203\.0\.113\.7:4242\s+←\s+198\.18\.0\.100:50000/.test(f));
    expect(r.frame()).toMatch(/›\S*\s*203\.0\.113\.7:4242\s+←\s+198\.18\.0\.100:50000/);
    r.stdin.write('\u001B[B'); // down arrow
    await until(r.frame, (f) => /›\S*\s*203\.0\.113\.7:4242\s+←\s+198\.18\.0\.100:50001/.test(f));
    expect(r.frame()).toMatch(/›\S*\s*203\.0\.113\.7:4242\s+←\s+198\.18\.0\.100:50001/);
  });

  it('shows the host panel: modules, counter deltas per second, dmesg lines', () => {
    const m = model([flow('TOA_OK')], {
      host: {
        source: '/',
        mode: 'poll',
        modules: ['toa: Live'],
        statsLabel: '/proc/net/toa_stats (classic)',
        counters: [
          { name: 'syn_recv_sock_toa', total: 1200, perSec: 12.5 },
          { name: 'syn_recv_sock_no_toa', total: 3, perSec: 0 },
        ],
        dmesg: ['TOA: toa loaded'],
        notes: [],
        updatedAtMs: 0,
      },
    });
    const { frame } = mount(m);
    expect(frame()).toContain('toa: Live');
    expect(frame()).toContain('syn_recv_sock_toa 1,200 (+12.5/s)');
    expect(frame()).toContain('dmesg: TOA: toa loaded');
  });

  it('says the module state is unknown when /proc/modules could not be read (not "no TOA module loaded")', () => {
    const host = {
      source: '/',
      mode: 'poll' as const,
      modules: null,
      statsLabel: null,
      counters: [],
      dmesg: [],
      notes: ['/proc/modules not readable: module state unknown'],
      updatedAtMs: 0,
    };
    const unknown = mount(model([flow('TOA_OK')], { host })).frame();
    expect(unknown).toMatch(/modules: unknown \(\/proc\/modules not readable\)/);
    expect(unknown).not.toContain('no TOA module loaded');
    const none = mount(model([flow('TOA_OK')], { host: { ...host, modules: [], notes: [] } })).frame();
    expect(none).toContain('modules: no TOA module loaded');
  });

  it('shows kernel-log lines and notes from a snapshot with their control characters escaped', () => {
    const m = model([flow('TOA_OK')], {
      host: {
        source: 'snapshot/',
        mode: 'snapshot',
        modules: [],
        statsLabel: null,
        counters: [],
        dmesg: ['TOA: \u001b[2J\u001b]0;owned\u0007fake'],
        notes: ['bad \u001b[31mnote'],
        updatedAtMs: 0,
      },
    });
    const { frame } = mount(m);
    expect(frame()).toContain('dmesg: TOA: \\x1b[2J\\x1b]0;owned\\x07fake');
    expect(frame()).toContain('note: bad \\x1b[31mnote');
    expect(frame()).not.toContain('\u001b]0;');
  });
});

describe('Dashboard without a TTY stdin', () => {
  it('renders without keys and says how to stop', async () => {
    const { render: inkRender } = await import('ink');
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough() as unknown as NodeJS.WriteStream;
    let text = '';
    (out as unknown as InstanceType<typeof PassThrough>).on('data', (d: Buffer) => {
      text += d.toString();
    });
    const stdin = new PassThrough() as unknown as NodeJS.ReadStream; // no setRawMode, isTTY undefined
    const store = createStore(model([flow('TOA_OK')]));
    const inst = inkRender(<Dashboard store={store} onQuit={() => undefined} />, {
      stdout: out,
      stdin,
      debug: true,
      patchConsole: false,
      exitOnCtrlC: false,
    });
    await tick();
    inst.unmount();
    expect(plain(text)).toContain('keys unavailable (stdin is not a terminal)');
    expect(plain(text)).toContain('TOA_OK');
  });
});
