import { Box, Text } from 'ink';
import { HELP_LINES } from './layout.js';

export const KEYS: Array<[string, string]> = [
  ['q', 'quit: stop capturing and print the final report (also Ctrl-C)'],
  ['p', 'pause / resume the display (capture keeps running)'],
  ['v', 'cycle the verdict filter (all → each verdict seen → all)'],
  ['s', 'cycle the sort: problems first, newest, verdict, real client'],
  ['↑ ↓ / j k', 'scroll the flow table (PgUp/PgDn, g/G for top/bottom)'],
  ['?', 'show / hide this help'],
];

/**
 * The help screen in exactly `lines` lines (a blank line, then HELP_LINES of text, cut from the
 * bottom on a short terminal — the close hint stays — and padded on a tall one).
 */
export function Help({ lines = HELP_LINES + 1 }: { lines?: number }) {
  const body: React.ReactNode[] = [
    <Text key="keys" bold wrap="truncate">
      Keys
    </Text>,
    ...KEYS.map(([k, d]) => (
      <Text key={k} wrap="truncate">
        <Text bold color="cyan">
          {k.padEnd(10)}
        </Text>
        {d}
      </Text>
    )),
    <Text key="blank"> </Text>,
    <Text key="cols" bold wrap="truncate">
      Columns
    </Text>,
    <Text key="c1" wrap="truncate">
      real client (TOA): the address the TOA option carries (what the app should see)
    </Text>,
    <Text key="c2" wrap="truncate">
      LB / source: the IP source of the packets (the LB's address after full-NAT)
    </Text>,
    <Text key="c3" wrap="truncate">
      TOA on: which packets carried it; the module reads the handshake ACK
    </Text>,
  ];
  const close = (
    <Text key="close" dimColor wrap="truncate">
      press ? or Esc to close
    </Text>
  );
  const room = Math.max(0, lines - 1); // the first line is the margin
  const shown = room === 0 ? [] : [...body.slice(0, Math.max(0, room - 1)), close];
  while (shown.length < room) shown.push(<Text key={`pad-${shown.length}`}> </Text>);
  return (
    <Box flexDirection="column" marginTop={lines > 0 ? 1 : 0}>
      {shown}
    </Box>
  );
}
