/** commander wiring: one file per command (src/cli/<command>.ts), each exports register(). */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { CaptureError } from '../capture/types.js';
import { register as registerBundle } from './bundle.js';
import { register as registerCollector } from './collector-script.js';
import { EXIT, UserError } from './errors.js';
import { register as registerHost } from './host.js';
import { register as registerInterfaces } from './interfaces.js';
import { register as registerLive } from './live.js';
import { register as registerPrint } from './print.js';
import { register as registerRead } from './read.js';

export function toolVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command('toa-doctor');
  program
    .description(
      'Find why a backend does not see the real client IP behind a layer-4 load balancer ' +
        '(TCP Option Address, "TOA"), from captures, live traffic and host evidence.',
    )
    .version(toolVersion(), '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  toa-doctor read capture.pcap                 diagnose a capture file (pcap, pcapng, .gz)
  toa-doctor read capture.pcap --host snap/    ... combined with a host snapshot
  toa-doctor print capture.pcapng --toa-only   tcpdump-like lines, TOA decoded
  tcpdump -i eth0 -w - tcp | toa-doctor print -
  sudo toa-doctor live eth0                    live dashboard
  toa-doctor host                              module, counters, dmesg, listeners
  sudo toa-doctor bundle -i eth0 --duration 30 support-ticket archive
  toa-doctor read bundle.tar.gz                read a support bundle back

Exit codes: 0 no error finding, 1 error findings, 2 usage/input error, 3 internal error.`,
    );
  // Set before the subcommands exist: commander copies these settings into each one, so a usage
  // error in any subcommand reaches main() as a CommanderError (exit 2), not process.exit(1).
  program.exitOverride();
  program.configureOutput({
    outputError: (str, write) => write(`toa-doctor: ${str.replace(/^error: /, '')}`),
  });
  registerPrint(program);
  registerRead(program);
  registerHost(program);
  registerLive(program);
  registerInterfaces(program);
  registerBundle(program);
  registerCollector(program);
  return program;
}

function fail(message: string, hint: string | undefined, code: number): never {
  process.stderr.write(`toa-doctor: ${message}\n`);
  if (hint) process.stderr.write(`  hint: ${hint}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (| head) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        process.exit(EXIT.OK);
      process.exit(err.exitCode === 0 ? EXIT.OK : EXIT.USAGE);
    }
    if (err instanceof UserError) fail(err.message, err.hint, err.exitCode);
    if (err instanceof CaptureError) fail(err.message, err.hint, EXIT.USAGE);
    const e = err as NodeJS.ErrnoException;
    if (e && (e.code === 'ENOENT' || e.code === 'EACCES' || e.code === 'EISDIR'))
      fail(
        `${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : 'permission denied'}: ${e.path ?? ''}`,
        undefined,
        EXIT.USAGE,
      );
    fail(
      `internal error: ${e?.message ?? String(err)}`,
      'this is a bug in toa-doctor; set TOA_DOCTOR_DEBUG=1 for details and report it',
      EXIT.INTERNAL,
    );
  }
}

if (process.env.TOA_DOCTOR_DEBUG) {
  process.on('exit', () => undefined);
}
