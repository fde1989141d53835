import { Box, Text } from 'ink';

export const KEYS: Array<[string, string]> = [
  ['q', 'quit: stop capturing and print the final report (also Ctrl-C)'],
  ['p', 'pause / resume the display (capture keeps running)'],
  ['v', 'cycle the verdict filter (all → each verdict seen → all)'],
  ['s', 'cycle the sort: problems first, newest, verdict, real client'],
  ['↑ ↓ / j k', 'scroll the flow table (PgUp/PgDn, g/G for top/bottom)'],
  ['?', 'show / hide this help'],
];

export function Help() {
  return (
    <Box flexDirection="column" marginTop={1} borderStyle="round" paddingX={1}>
      <Text bold>Keys</Text>
      {KEYS.map(([k, d]) => (
        <Text key={k}>
          <Text bold color="cyan">
            {k.padEnd(10)}
          </Text>
          {d}
        </Text>
      ))}
      <Text> </Text>
      <Text bold>Columns</Text>
      <Text>real client (TOA): the address the TOA option carries (what the app should see)</Text>
      <Text>LB / source: the IP source of the packets (the LB's address after full-NAT)</Text>
      <Text>TOA on: which packets carried it; the module reads the handshake ACK</Text>
      <Text dimColor>press ? or Esc to close</Text>
    </Box>
  );
}
