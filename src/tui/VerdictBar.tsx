import { Box, Text } from 'ink';
import { VERDICTS, type Verdict } from '../flow/types.js';
import type { TopFinding } from './model.js';
import { VERDICT_STYLE } from './verdicts.js';

export function VerdictBar({
  verdicts,
  top,
  filter,
}: {
  verdicts: Record<Verdict, number>;
  top: TopFinding | null;
  filter: Verdict | null;
}) {
  const shown = VERDICTS.filter((v) => (verdicts[v] ?? 0) > 0);
  return (
    <Box flexDirection="column" marginTop={1}>
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
      {top ? (
        <>
          <Text wrap="truncate">
            <Text color={VERDICT_STYLE[top.verdict].color} bold>
              {`▲ ${top.verdict}`}
            </Text>
            {` (${top.flows} flow${top.flows === 1 ? '' : 's'}, ${top.share.toFixed(0)}%): ${top.title}`}
          </Text>
          <Text wrap="truncate">
            {'  fix: '}
            {top.remediation}
          </Text>
        </>
      ) : shown.length ? (
        <Text color="green">✓ no problem flows so far</Text>
      ) : null}
    </Box>
  );
}
