import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { collectorScript } from '../bundle/collector.sh.js';
import { cannotWrite } from '../errors.js';
import { toolVersion } from '../version.js';

/** `toa-doctor collector-script`: print the POSIX sh collector for hosts without Node.js. */
export function register(program: Command): void {
  program
    .command('collector-script')
    .description(
      'print a POSIX sh script (dash, busybox ash) that collects a support bundle on hosts where ' +
        'Node.js cannot run: tcpdump capture, proc/sys files, dmesg, listeners -> the same .tar.gz layout',
    )
    .option('-o, --output <file>', 'write the script to FILE (mode 0755) instead of standard output')
    .addHelpText(
      'after',
      `
Examples:
  toa-doctor collector-script > collect.sh
  scp collect.sh host: && ssh host sudo sh collect.sh -i eth0 -d 30 -p 80
  toa-doctor read toa-doctor-host-20240101T000000Z.tar.gz

Script options: -i IFACE  -d SECONDS (30)  -p PORT  -f FILTER  -o FILE.tar.gz  -t (toa_table)  -r ROOT`,
    )
    .action((opts: { output?: string }) => {
      const text = collectorScript(toolVersion());
      if (opts.output) {
        try {
          writeFileSync(opts.output, text, { mode: 0o755 });
        } catch (err) {
          throw cannotWrite(opts.output, err, '-o');
        }
        return;
      }
      process.stdout.write(text);
    });
}
