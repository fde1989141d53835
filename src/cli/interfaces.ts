/**
 * `toa-doctor interfaces` (and `toa-doctor -D`, like tcpdump -D): list capture devices with their
 * state and addresses.
 */
import type { Command } from 'commander';
import { type CaptureDevice, listInterfaces, listInterfacesSync } from '../capture/live/interfaces.js';

export function formatInterfaces(devices: CaptureDevice[]): string {
  const nameW = Math.max(4, ...devices.map((d) => d.name.length));
  const lines: string[] = [];
  let i = 0;
  for (const d of devices) {
    i++;
    const what = d.description ?? (d.loopback ? 'loopback' : (d.mac ?? ''));
    const addrs = d.addresses.length ? d.addresses.join(', ') : d.name === 'any' ? '' : '(no address)';
    lines.push(
      `${String(i).padStart(2)}. ${d.name.padEnd(nameW)}  ${d.state.padEnd(7)}  ${what}${addrs ? `${what ? '  ' : ''}${addrs}` : ''}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function run(opts: { json?: boolean }): Promise<void> {
  const devices = await listInterfaces();
  process.stdout.write(opts.json ? `${JSON.stringify(devices, null, 2)}\n` : formatInterfaces(devices));
}

export function register(program: Command): void {
  program
    .command('interfaces')
    .description('list capture devices with their addresses (same as -D)')
    .option('--json', 'JSON array of devices')
    .addHelpText(
      'after',
      '\nCapture with `toa-doctor live IFACE`; `any` captures on every interface (Linux cooked headers).',
    )
    .action(run);
  program.option('-D, --list-interfaces', 'list capture devices and exit (same as `toa-doctor interfaces`)');
  program.on('option:list-interfaces', () => {
    // like tcpdump -D: list and exit, whatever else is on the command line (synchronously:
    // commander goes on parsing right after this event)
    process.stdout.write(formatInterfaces(listInterfacesSync()));
    process.exit(0);
  });
}
