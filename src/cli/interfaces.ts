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

/**
 * `-D` as tcpdump prints it: `N.name [flags]` (`N.name (description) [flags]`), then our addresses.
 * The numbers are the ones `live N` and `live -i N` take.
 */
export function formatDeviceList(devices: CaptureDevice[]): string {
  return devices
    .map((d, i) => {
      const flags = d.state === 'up' || d.state === 'unknown' ? ['Up', 'Running'] : [];
      if (d.loopback) flags.push('Loopback');
      const desc =
        d.name === 'any'
          ? ' (Pseudo-device that captures on all interfaces)'
          : d.description
            ? ` (${d.description})`
            : '';
      const addrs = d.addresses.length ? ` ${d.addresses.join(', ')}` : '';
      return `${i + 1}.${d.name}${desc} [${flags.join(', ') || 'none'}]${addrs}\n`;
    })
    .join('');
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
  program.option(
    '-D, --list-interfaces',
    'list capture devices, numbered as tcpdump -D (live N picks one), and exit',
  );
  program.on('option:list-interfaces', () => {
    // like tcpdump -D: list and exit, whatever else is on the command line (synchronously:
    // commander goes on parsing right after this event)
    process.stdout.write(formatDeviceList(listInterfacesSync()));
    process.exit(0);
  });
}
