import { Box, Text } from 'ink';
import { formatElapsed, formatRate, type HeaderInfo } from './model.js';

export function Header({ h, paused, lines = 2 }: { h: HeaderInfo; paused: boolean; lines?: 1 | 2 }) {
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold color="cyan">
          toa-doctor live
        </Text>
        {'  '}
        <Text bold>{h.iface}</Text>
        {'  engine '}
        <Text bold>{h.engine}</Text>
        {h.engineReason?.startsWith('auto') ? <Text dimColor>{` (${h.engineReason})`}</Text> : null}
        {'  filter '}
        <Text bold>'{h.filter}'</Text>
        {'  profile '}
        <Text bold>{h.profile}</Text>
      </Text>
      {lines === 2 ? (
        <Text wrap="truncate">
          {'elapsed '}
          <Text bold>{formatElapsed(h.elapsedSec)}</Text>
          {'  '}
          <Text bold>{formatRate(h.packetsPerSec)}</Text>
          {' pkt/s  packets '}
          <Text bold>{h.packets.toLocaleString('en-US')}</Text>
          {'  flows '}
          <Text bold>{h.flows.toLocaleString('en-US')}</Text>
          {'  drops '}
          <Text bold color={h.drops ? 'red' : undefined}>
            {h.drops === null ? 'n/a' : h.drops.toLocaleString('en-US')}
          </Text>
          {paused ? (
            <Text color="yellow" bold>
              {'  [PAUSED]'}
            </Text>
          ) : null}
          {h.ended ? (
            <Text color="yellow" bold>
              {`  [${h.ended}]`}
            </Text>
          ) : null}
        </Text>
      ) : null}
    </Box>
  );
}
