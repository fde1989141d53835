/** commander wiring: one file per command (src/cli/<command>.ts), each exports register(). */
import { Command, CommanderError } from 'commander';
import { errnoText, isKnownErrno } from '../errors.js';
import { forTerminal } from '../report/escape.js';
import { toolVersion } from '../version.js';
import { EXIT, ToaError } from './errors.js';

type Register = (program: Command) => void;

/**
 * The commands, in help order. Each module is imported only when it is needed: a run of one command
 * loads that command's module graph alone (`read --json` does not compile the live dashboard, the
 * bundle writer or the host readers), which is most of the start-up time of a short run.
 */
const COMMANDS: ReadonlyArray<readonly [string, () => Promise<{ register: Register }>]> = [
  ['print', () => import('./print.js')],
  ['read', () => import('./read.js')],
  ['compare', () => import('./compare.js')],
  ['report', () => import('./report.js')],
  ['host', () => import('./host.js')],
  ['live', () => import('./live.js')],
  ['interfaces', () => import('./interfaces.js')],
  ['bundle', () => import('./bundle.js')],
  ['collector-script', () => import('./collector-script.js')],
  ['exporter', () => import('./exporter.js')],
  ['probe', () => import('./probe.js')],
  ['lab', () => import('./lab.js')],
];

/** the subcommand named on the command line (the first word that is not an option), if any */
function commandWord(argv: readonly string[]): string | undefined {
  for (const a of argv.slice(2)) {
    if (a === '--') return undefined;
    if (!a.startsWith('-')) return a;
  }
  return undefined;
}

/**
 * The program with its subcommands: only the one `argv` names when it names one, else all of
 * them (top-level help, unknown-command suggestions).
 */
export async function buildProgram(argv: readonly string[] = []): Promise<Command> {
  const program = new Command('toa-doctor');
  program
    .description(
      'Find why a backend does not see the real client IP behind a layer-4 load balancer ' +
        '(TCP Option Address, "TOA"), from captures, live traffic and host evidence.',
    )
    .version(toolVersion(), '-V, --version')
    .addHelpText(
      'after',
      `
Examples:
  toa-doctor read capture.pcap                 diagnose a capture file (pcap, pcapng, .gz)
  toa-doctor read capture.pcap --host-dir snap/  ... combined with a host snapshot
  toa-doctor print capture.pcapng --toa-only   tcpdump-like lines, TOA decoded
  tcpdump -i eth0 -w - tcp | toa-doctor print -
  sudo toa-doctor live eth0                    live dashboard
  toa-doctor host                              module, counters, dmesg, listeners
  sudo toa-doctor bundle -i eth0 --duration 30 support-ticket archive
  toa-doctor read bundle.tar.gz                read a support bundle back
  toa-doctor exporter eth0 port 443            Prometheus /metrics on 127.0.0.1:9877
  toa-doctor compare front.pcap backend.pcap   where between LB and backend did the TOA go
  sudo toa-doctor probe --lb 200/8             which TOA variants does this host rewrite?

Exit codes: 0 no error finding, 1 error findings, 2 usage/input error, 3 internal error.`,
    );
  // Set before the subcommands exist: commander copies these settings into each one, so a usage
  // error in any subcommand reaches main() as a CommanderError (exit 2), not process.exit(1).
  program.exitOverride();
  // commander's own messages (unknown option, missing argument...) are printed by main() through
  // fail(), like every other usage error: one `toa-doctor:` line and one `hint:` line
  program.configureOutput({ outputError: () => undefined });
  const word = commandWord(argv);
  const named = COMMANDS.filter(([name]) => name === word);
  const versionOnly = word === undefined && argv.some((a) => a === '-V' || a === '--version');
  const chosen = named.length ? named : versionOnly ? [] : COMMANDS;
  for (const [, load] of chosen) (await load()).register(program);
  return program;
}

function fail(message: string, hint: string, code: number): never {
  // messages can quote input (file and member names, manifest fields): escaped for the terminal
  process.stderr.write(`toa-doctor: ${forTerminal(message)}\n  hint: ${forTerminal(hint)}\n`);
  process.exit(code);
}

/** `toa-doctor read --help` (or the top-level help when no known command was named) */
function helpCommand(argv: readonly string[]): string {
  const word = commandWord(argv);
  return COMMANDS.some(([name]) => name === word) ? `toa-doctor ${word} --help` : 'toa-doctor --help';
}

/** A commander parse error as one message line plus a hint (its "Did you mean" goes into the hint). */
export function commanderUsage(err: CommanderError, help: string): { message: string; hint: string } {
  const [first = '', ...rest] = err.message
    .replace(/^error: /, '')
    .trim()
    .split('\n');
  const message = first.replace(/\.$/, '');
  const suggestion = /Did you mean (.+?)\?/.exec(rest.join(' '))?.[1];
  const where =
    err.code === 'commander.unknownCommand'
      ? '`toa-doctor --help` lists the commands'
      : `\`${help}\` shows the usage`;
  return { message, hint: suggestion ? `did you mean ${suggestion}? (${where})` : where };
}

/** fs calls that change the file system: their errno is worded as a failed write */
const WRITE_CALLS = new Set([
  'write',
  'mkdir',
  'rename',
  'unlink',
  'rmdir',
  'copyfile',
  'symlink',
  'link',
  'ftruncate',
]);

/** EPIPE on `stream` ends the run with exit 0 and no output; other write errors are internal. */
function quietOnClosedPipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
    if (stream !== process.stderr)
      fail(
        `standard output: cannot write (${errnoText(err, 'write').words})`,
        'check the disk or the pipe output goes to',
        EXIT.INTERNAL,
      );
    process.exit(EXIT.INTERNAL);
  });
}

export async function main(argv: string[]): Promise<void> {
  // A closed pipe (| head) is not an error, on stdout or on stderr (`print -v F 2>&1 | head`):
  // exit quietly, as tcpdump does when its reader goes away.
  quietOnClosedPipe(process.stdout);
  quietOnClosedPipe(process.stderr);
  try {
    const program = await buildProgram(argv);
    await program.parseAsync(argv);
  } catch (err) {
    // TOA_DOCTOR_DEBUG=1 (the exit-3 hint recommends it): the stack and cause chain, before the message
    if (process.env.TOA_DOCTOR_DEBUG && !(err instanceof CommanderError)) printDebug(err);
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        process.exit(EXIT.OK);
      if (err.exitCode === 0) process.exit(EXIT.OK);
      const u = commanderUsage(err, helpCommand(argv));
      fail(u.message, u.hint, EXIT.USAGE);
    }
    if (err instanceof ToaError) fail(err.message, err.hint, err.exitCode);
    const e = err as NodeJS.ErrnoException;
    // a file-system error no command turned into a ToaError: the errno table's words and hint
    if (isKnownErrno(e)) {
      const t = errnoText(e, WRITE_CALLS.has(e.syscall ?? '') ? 'write' : 'read');
      fail(e.path ? `${e.path}: ${t.words}` : t.words, t.hint, EXIT.USAGE);
    }
    fail(
      `internal error: ${e?.message ?? String(err)}`,
      'this is a bug in toa-doctor; set TOA_DOCTOR_DEBUG=1 for details and report it',
      EXIT.INTERNAL,
    );
  }
}

function printDebug(err: unknown): void {
  let e: unknown = err;
  for (let depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    const x = e as Error & { code?: unknown };
    const head = depth === 0 ? 'debug' : 'caused by';
    const code = x.code !== undefined ? ` [code ${String(x.code)}]` : '';
    process.stderr.write(`toa-doctor ${head}:${code} ${x.stack ?? String(e)}\n`);
    e = x.cause;
  }
}
