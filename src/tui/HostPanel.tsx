import { Box, Text } from 'ink';
import type { HostPanelModel } from './model.js';

function perSec(v: number | null): string {
  if (v === null) return '';
  return ` (${v >= 0 ? '+' : ''}${v >= 100 ? v.toFixed(0) : v.toFixed(1)}/s)`;
}

export function HostPanel({ host }: { host: HostPanelModel | null }) {
  if (!host) return null;
  const title = host.mode === 'snapshot' ? `host snapshot ${host.source}` : `host ${host.source} (polling)`;
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text wrap="truncate">
        <Text bold>{title}</Text>
        {'  modules: '}
        {host.modules.length ? host.modules.join(', ') : 'no TOA module loaded'}
      </Text>
      {host.statsLabel ? (
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
      <Text wrap="truncate" dimColor>
        {host.dmesg.map((l) => `dmesg: ${l}`).join('\n')}
      </Text>
      {host.notes.slice(0, 1).map((n) => (
        <Text key={n} wrap="truncate" color="yellow">
          {`note: ${n}`}
        </Text>
      ))}
    </Box>
  );
}
