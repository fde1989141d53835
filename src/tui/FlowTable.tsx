import { Box, Text } from 'ink';
import type { FlowRecord } from '../flow/types.js';
import { endpoint, realClient, toaRode } from './model.js';
import { VERDICT_STYLE } from './verdicts.js';

export interface Columns {
  client: number;
  lb: number;
  server: number;
  rode: number;
  variant: number;
  verdict: number;
}

/**
 * Column widths for a terminal `width` columns wide: fixed tail, addresses share the rest; the
 * variant column only when there is room (≥ 120 columns).
 */
export function columnsFor(width: number): Columns {
  const fixed = { rode: 13, variant: width >= 120 ? 11 : 0, verdict: 17 };
  const rest = Math.max(36, width - 1 - 6 - fixed.rode - fixed.variant - fixed.verdict - 1);
  const each = Math.floor(rest / 3);
  const cap = 47; // [IPv6]:port
  return {
    client: Math.min(cap, each),
    lb: Math.min(cap, each),
    server: Math.min(cap, rest - 2 * each),
    ...fixed,
  };
}

function Cell({ w, children, color, bold }: { w: number; children: string; color?: string; bold?: boolean }) {
  return (
    <Box width={w} flexShrink={0}>
      <Text wrap="truncate" color={color} bold={bold}>
        {children}
      </Text>
    </Box>
  );
}

export function FlowRow({ f, selected, cols }: { f: FlowRecord; selected: boolean; cols: Columns }) {
  const s = VERDICT_STYLE[f.verdict];
  return (
    <Box>
      <Text color={selected ? 'cyan' : undefined}>{selected ? '›' : ' '}</Text>
      <Cell w={cols.client} color={f.toa?.address ? undefined : 'gray'}>
        {realClient(f)}
      </Cell>
      <Cell w={3}>{' ← '}</Cell>
      <Cell w={cols.lb}>{endpoint(f.client.address, f.client.port)}</Cell>
      <Cell w={3}>{' → '}</Cell>
      <Cell w={cols.server}>{endpoint(f.server.address, f.server.port)}</Cell>
      <Cell w={cols.rode}>{toaRode(f)}</Cell>
      {cols.variant ? <Cell w={cols.variant}>{f.toa?.variant ?? '-'}</Cell> : null}
      <Cell w={cols.verdict} color={s.color} bold>
        {f.verdict}
      </Cell>
    </Box>
  );
}

export function FlowTable({
  flows,
  offset,
  selected,
  height,
  total,
  width = 100,
}: {
  flows: FlowRecord[];
  offset: number;
  selected: number;
  height: number;
  total: number;
  width?: number;
}) {
  const COLS = columnsFor(width);
  const visible = flows.slice(offset, offset + height);
  return (
    <Box flexDirection="column" marginTop={1}>
      <Box>
        <Text> </Text>
        <Cell w={COLS.client} bold>
          real client (TOA)
        </Cell>
        <Cell w={3}> </Cell>
        <Cell w={COLS.lb} bold>
          LB / source
        </Cell>
        <Cell w={3}> </Cell>
        <Cell w={COLS.server} bold>
          server
        </Cell>
        <Cell w={COLS.rode} bold>
          TOA on
        </Cell>
        {COLS.variant ? (
          <Cell w={COLS.variant} bold>
            variant
          </Cell>
        ) : null}
        <Cell w={COLS.verdict} bold>
          verdict
        </Cell>
      </Box>
      {visible.length === 0 ? <Text dimColor> (no flows to show)</Text> : null}
      {visible.map((f, i) => (
        <FlowRow key={`${f.id}-${f.firstTs}`} f={f} selected={offset + i === selected} cols={COLS} />
      ))}
      {flows.length > height ? (
        <Text
          dimColor
        >{`  rows ${offset + 1}-${Math.min(flows.length, offset + height)} of ${flows.length} shown (${total} flows seen)`}</Text>
      ) : null}
    </Box>
  );
}
