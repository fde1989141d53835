import { Box, Text } from 'ink';
import { VERDICTS, type Verdict } from '../flow/types.js';
import type { TopFinding } from './model.js';
import { VERDICT_STYLE } from './verdicts.js';

export function VerdictBar({
  verdicts,
  top,
  filter,
  margin = true,
  lines = 2,
}: {
  verdicts: Record<Verdict, number>;
  top: TopFinding | null;
  filter: Verdict | null;
  margin?: boolean;
  /** lines under the counts (layout.top): the top finding and its fix, or one of them, or none */
  lines?: 0 | 1 | 2;
}) {
  const shown = VERDICTS.filter((v) => (verdicts[v] ?? 0) > 0);
  return (
    <Box flexDirection="column" marginTop={margin ? 1 : 0}>
      <Text wrap="truncate">
        {shown.length === 0 ? <Text dimColor>no flows yet</Text> : null}
        {shown.map((v) => (
          <Text key={v} color={VERDICT_STYLE[v].color} bold={filter === v} underline={filter === v}>
            {filter === v
              ? `[${VERDICT_STYLE[v].label} ${verdicts[v]}] `
              : `${VERDICT_STYLE[v].label} ${verdicts[v]}  `}
          </Text>
        ))}
      </Text>
      {lines === 0 ? null : top ? (
        <>
          <Text wrap="truncate">
            <Text color={VERDICT_STYLE[top.verdict].color} bold>
              {`▲ ${top.verdict}`}
            </Text>
            {` (${top.flows} flow${top.flows === 1 ? '' : 's'}, ${top.share.toFixed(0)}%): ${top.title}`}
          </Text>
          {lines === 2 ? (
            <Text wrap="truncate">
              {'  fix: '}
              {top.remediation}
            </Text>
          ) : null}
        </>
      ) : shown.length ? (
        <Text color="green" wrap="truncate">
          ✓ no problem flows so far
        </Text>
      ) : null}
    </Box>
  );
}
