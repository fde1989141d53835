/**
 * `toa-doctor lab`: reproduce a TOA path end to end on this machine, in private network
 * namespaces — an LB side whose kernel inserts TOA, a backend with a BPF TOA reader and an app
 * that logs getpeername() (src/lab/lab.ts). Prints, per connection, what the app saw. With
 * --hold it stays up so `toa-doctor live`, `host`, `bundle` and `probe` can be run against it.
 */
import { createInterface } from 'node:readline';
import chalk from 'chalk';
import Table from 'cli-table3';
import type { Command } from 'commander';
import { formatEndpoint } from '../decode/toa.js';
import { isProfileName, profileVariantIds } from '../flow/profiles.js';
import { extraScenarios, Lab, type LabConnection, type LabScenario, labScenario } from '../lab/lab.js';
import { LAB_ADDR } from '../lab/netns.js';
import { clientVariants, type ReaderMode } from '../probe/config.js';
import { ProbeError } from '../probe/errors.js';
import { UserError } from './errors.js';
import { choice, port } from './options.js';
import { parsePlacementList, parseVariantList } from './probe.js';

interface LabCliOptions {
  reader: string;
  readerProfile?: string;
  readerVariants?: string;
  variants?: string;
  packets: string;
  extras?: boolean;
  ipv6Listener?: boolean;
  port: string;
  hold?: boolean;
  json?: boolean;
}

const READERS = ['ack', 'syn-or-ack', 'none'] as const;

function readerVariantIds(o: LabCliOptions): string[] {
  if (o.readerVariants) return parseVariantList(o.readerVariants, '--reader-variants').map((v) => v.id);
  const prof = o.readerProfile ?? (o.reader === 'syn-or-ack' ? 'aliyun-cdn' : 'auto');
  if (!isProfileName(prof))
    throw new UserError(
      `--reader-profile: unknown profile: ${prof}`,
      'example: --reader-profile tencent (see `toa-doctor read --help`)',
    );
  return profileVariantIds(prof);
}

export function renderLabText(conns: LabConnection[]): string {
  const t = new Table({
    head: ['connection', 'client (real)', 'app getpeername()', 'option client', 'app saw it'],
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
    style: { head: [], border: [] },
  });
  for (const c of conns) {
    const rc = c.scenario.realClient;
    t.push([
      c.scenario.name,
      c.client,
      c.appPeer ?? `- (${c.error})`,
      rc ? formatEndpoint(rc.address, rc.port) : '-',
      c.appSawRealClient ? chalk.green('yes') : chalk.red('no'),
    ]);
  }
  return `${t.toString()}\n`;
}

function waitForLine(prompt: string): Promise<void> {
  return new Promise((resolve) => {
    process.stderr.write(prompt);
    const rl = createInterface({ input: process.stdin });
    rl.once('line', () => {
      rl.close();
      resolve();
    });
    rl.once('close', () => resolve());
  });
}

async function run(o: LabCliOptions): Promise<void> {
  choice('--reader', READERS)(o.reader);
  const appPort = port('--port', 8080)(o.port);
  const variants = o.variants ? parseVariantList(o.variants, '--variants') : clientVariants();
  const placements = parsePlacementList(o.packets);
  const readerVariants = o.reader === 'none' ? [] : readerVariantIds(o);
  const scenarios: LabScenario[] = [];
  let i = 0;
  for (const v of variants) for (const p of placements) scenarios.push(labScenario(v.id, p, i++));
  if (o.extras) scenarios.push(...extraScenarios(i));

  let lab: Lab;
  try {
    lab = await Lab.start({
      readerMode: o.reader as ReaderMode | 'none',
      readerVariants,
      ipv6Listener: !!o.ipv6Listener,
      port: appPort,
    });
  } catch (e) {
    if (e instanceof ProbeError) throw new UserError(e.message, e.hint);
    throw e;
  }
  try {
    if (o.hold) {
      process.stderr.write(
        [
          `lab up: backend namespace ${lab.ns.server} (${LAB_ADDR.serverIf} ${LAB_ADDR.server4}, app on port ${lab.port}), LB side ${lab.ns.client}`,
          `reader: ${o.reader}${o.reader === 'none' ? '' : ` accepting ${readerVariants.map((v) => v.replace(/^toa-(\d+)-(\d+)$/, '$1/$2')).join(', ')}`}`,
          'in another terminal, for example:',
          `  ${lab.backendCommand(`toa-doctor live ${LAB_ADDR.serverIf}`)}`,
          `  ${lab.backendCommand(`toa-doctor bundle -i ${LAB_ADDR.serverIf} --duration 20`)}`,
          '',
        ].join('\n'),
      );
      await waitForLine('press Enter to make the connections\n');
    }
    const conns: LabConnection[] = [];
    for (const sc of scenarios) conns.push(await lab.connect(sc));
    process.stdout.write(
      o.json
        ? `${JSON.stringify({ schema: 'toa-doctor/lab@1', reader: o.reader, readerVariants, connections: conns.map(labJson) }, null, 2)}\n`
        : renderLabText(conns),
    );
    if (o.hold) await waitForLine('press Enter (or Ctrl-C) to tear the lab down\n');
  } finally {
    lab.close();
  }
}

function labJson(c: LabConnection): Record<string, unknown> {
  const rc = c.scenario.realClient;
  return {
    connection: c.scenario.name,
    variant: c.scenario.variant,
    packet: c.scenario.placement,
    client: c.client,
    optionClient: rc ? formatEndpoint(rc.address, rc.port) : null,
    appPeer: c.appPeer,
    appSawRealClient: c.appSawRealClient,
    error: c.error,
  };
}

export function register(program: Command): void {
  program
    .command('lab')
    .description(
      'reproduce a TOA path in private namespaces: LB-side inserter, BPF TOA reader, an app logging getpeername() (root)',
    )
    .option(
      '--reader <mode>',
      'backend reader: ack (reads the handshake ACK), syn-or-ack (Alibaba CDN eBPF style), none',
      'ack',
    )
    .option(
      '--reader-profile <name>',
      'variants the reader accepts, as a profile (default: auto for ack, aliyun-cdn for syn-or-ack)',
    )
    .option(
      '--reader-variants <list>',
      'variants the reader accepts, e.g. 200/8,254/8 (instead of a profile)',
    )
    .option('--variants <list>', 'variants the LB side sends (default: all with a client address)')
    .option(
      '--packets <list>',
      'packets that carry the option, one connection each: ack, syn, data or a + of them',
      'ack,syn,data,syn+ack+data',
    )
    .option(
      '--extras',
      'also: no room, two TOAs (same / different client), broken option after the TOA, wrong length, no TOA',
    )
    .option('--ipv6-listener', 'the app listens on :: (dual stack)')
    .option('--port <n>', 'the app port inside the backend namespace', '8080')
    .option(
      '--hold',
      'stay up: print how to run live/bundle in the backend namespace, connect on Enter, tear down on Enter/Ctrl-C',
    )
    .option('--json', 'toa-doctor/lab@1 JSON on stdout')
    .addHelpText(
      'after',
      `
Needs what probe needs (root, Linux >= 5.10, cgroup v2, bpftool) and iproute2.
Traffic stays in two private network namespaces (198.18.1.0/24); namespaces,
programs and cgroups are removed on exit.`,
    )
    .action(run);
}
