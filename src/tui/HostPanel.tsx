import { Box, Text } from 'ink';
// a leaf module with no imports of its own: the one terminal escaper (issue #16 item 4)
import { forTerminal } from '../report/escape.js';
import type { HostLayout } from './layout.js';
import type { HostPanelModel } from './model.js';

function perSec(v: number | null): string {
  if (v === null) return '';
  return ` (${v >= 0 ? '+' : ''}${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s)`;
}

/** The host panel in exactly the lines `layout` gives it (title, stats, dmesg lines, a note). */
export function HostPanel({ host, layout }: { host: HostPanelModel | null; layout: HostLayout | null }) {
  if (!host || !layout) return null;
  const title = host.mode === 'snapshot' ? `host snapshot ${host.source}` : `host ${host.source} (polling)`;
  return (
    <Box flexDirection="column" marginTop={layout.margin ? 1 : 0}>
      <Text wrap="truncate">
        <Text bold>{title}</Text>
        {'  modules: '}
        {host.modules === null
          ? 'unknown (/proc/modules not readable)'
          : host.modules.length
            ? host.modules.join(', ')
            : 'no TOA module loaded'}
      </Text>
      {!layout.stats ? null : host.statsLabel ? (
        <Text wrap="truncate">
          {`${host.statsLabel}: `}
          {host.counters.length
            ? host.counters
                .map((c) => `${c.name} ${c.total.toLocaleString('en-US')}${perSec(c.perSec)}`)
                .join('  ')
            : 'no counters'}
        </Text>
      ) : (
        <Text wrap="truncate" dimColor>
          no /proc/net/toa_stats or vtoa_stats
        </Text>
      )}
      {(layout.dmesg ? host.dmesg.slice(-layout.dmesg) : []).map((l, i) => (
        // one Text per line: a multi-line Text would not be cut to the terminal width line by line
        <Text key={`${i}-${l}`} wrap="truncate" dimColor>
          {`dmesg: ${forTerminal(l)}`}
        </Text>
      ))}
      {host.notes.slice(0, layout.note ? 1 : 0).map((n) => (
        <Text key={n} wrap="truncate" color="yellow">
          {`note: ${forTerminal(n)}`}
        </Text>
      ))}
    </Box>
  );
}
