import { Box, Text } from 'ink';
import { formatEndpoint } from '../endpoint.js';
import type { FlowRecord } from '../flow/types.js';
import { elide, serverPort, shortRode, type TableColumns } from './layout.js';
import { realClient, toaRode } from './model.js';
import { VERDICT_STYLE } from './verdicts.js';

function Cell({
  w,
  children,
  color,
  bold,
  gap = 0,
}: {
  w: number;
  children: string;
  color?: string;
  bold?: boolean;
  /** blank columns before the text */
  gap?: number;
}) {
  return (
    <Box width={w + gap} flexShrink={0}>
      <Text wrap="truncate" color={color} bold={bold}>
        {' '.repeat(gap) + children}
      </Text>
    </Box>
  );
}

function arrow(c: TableColumns, a: '←' | '→'): string {
  return c.arrow === 3 ? ` ${a} ` : `${a} `;
}

export function FlowRow({ f, selected, cols }: { f: FlowRecord; selected: boolean; cols: TableColumns }) {
  const s = VERDICT_STYLE[f.verdict];
  const rode = toaRode(f);
  return (
    <Box>
      <Text color={selected ? 'cyan' : undefined}>{selected ? '›' : ' '}</Text>
      <Cell w={cols.client} color={f.toa?.address ? undefined : 'gray'}>
        {elide(realClient(f), cols.client)}
      </Cell>
      <Cell w={cols.arrow}>{arrow(cols, '←')}</Cell>
      <Cell w={cols.lb}>{elide(formatEndpoint(f.client.address, f.client.port), cols.lb)}</Cell>
      {cols.server ? (
        <>
          <Cell w={cols.arrow}>{arrow(cols, '→')}</Cell>
          <Cell w={cols.server}>
            {elide(
              cols.serverPortOnly ? serverPort(f) : formatEndpoint(f.server.address, f.server.port),
              cols.server,
            )}
          </Cell>
        </>
      ) : null}
      {cols.rode ? (
        <Cell w={cols.rode} gap={1}>
          {cols.rodeShort ? shortRode(rode) : rode}
        </Cell>
      ) : null}
      {cols.variant ? (
        <Cell w={cols.variant} gap={1}>
          {f.toa?.variant ?? '-'}
        </Cell>
      ) : null}
      <Cell w={cols.verdict} gap={1} color={s.color} bold>
        {cols.verdictShort ? s.label : f.verdict}
      </Cell>
    </Box>
  );
}

/**
 * The flow table: a column header and exactly `body` more lines (rows, the "rows x-y of z" line,
 * blank padding), so the dashboard's height never depends on how many flows there are.
 */
export function FlowTable({
  flows,
  offset,
  selected,
  body,
  rows,
  moreLine,
  margin,
  total,
  cols,
}: {
  flows: FlowRecord[];
  offset: number;
  selected: number;
  /** lines under the column header */
  body: number;
  /** flow rows shown */
  rows: number;
  moreLine: boolean;
  margin: boolean;
  total: number;
  cols: TableColumns;
}) {
  const visible = flows.slice(offset, offset + rows);
  const lines: React.ReactNode[] = visible.map((f, i) => (
    <FlowRow key={`${f.id}-${f.firstTs}`} f={f} selected={offset + i === selected} cols={cols} />
  ));
  if (visible.length === 0)
    lines.push(
      <Text key="empty" dimColor wrap="truncate">
        {' (no flows to show)'}
      </Text>,
    );
  if (moreLine)
    lines.push(
      <Text key="more" dimColor wrap="truncate">
        {`  rows ${offset + 1}-${Math.min(flows.length, offset + rows)} of ${flows.length} shown (${total} flows seen)`}
      </Text>,
    );
  while (lines.length < body) lines.push(<Text key={`pad-${lines.length}`}> </Text>);
  return (
    <Box flexDirection="column" marginTop={margin ? 1 : 0}>
      <Box>
        <Text> </Text>
        <Cell w={cols.client} bold>
          {cols.labels.client}
        </Cell>
        <Cell w={cols.arrow}> </Cell>
        <Cell w={cols.lb} bold>
          {cols.labels.lb}
        </Cell>
        {cols.server ? (
          <>
            <Cell w={cols.arrow}> </Cell>
            <Cell w={cols.server} bold>
              {cols.labels.server}
            </Cell>
          </>
        ) : null}
        {cols.rode ? (
          <Cell w={cols.rode} gap={1} bold>
            {cols.labels.rode}
          </Cell>
        ) : null}
        {cols.variant ? (
          <Cell w={cols.variant} gap={1} bold>
            {cols.labels.variant}
          </Cell>
        ) : null}
        <Cell w={cols.verdict} gap={1} bold>
          {cols.labels.verdict}
        </Cell>
      </Box>
      {lines.slice(0, body)}
    </Box>
  );
}
