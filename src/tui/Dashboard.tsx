/**
 * The live dashboard: header, verdict bar with the top finding, flow table, host panel, footer.
 * Data comes from a store the live loop updates at most 10×/s; nothing here does I/O.
 * Keys work only when stdin supports raw mode (a non-TTY stdin never crashes it).
 */
import { Box, Text, useInput, useStdin, useStdout } from 'ink';
import { useCallback, useRef, useState, useSyncExternalStore } from 'react';
import type { Verdict } from '../flow/types.js';
import { FlowTable } from './FlowTable.js';
import { Header } from './Header.js';
import { Help } from './Help.js';
import { HostPanel } from './HostPanel.js';
import { dashboardLayout, tableColumns } from './layout.js';
import { type DashboardModel, nextVerdictFilter, SORT_MODES, type SortMode, sortFlows } from './model.js';
import type { Store } from './store.js';
import { VerdictBar } from './VerdictBar.js';
import { VERDICT_STYLE } from './verdicts.js';

export interface DashboardProps {
  store: Store<DashboardModel>;
  onQuit: () => void;
  onPauseChange?: (paused: boolean) => void;
  /** terminal rows available (default: the terminal's, else 24) */
  rows?: number;
  /** terminal columns (default: the terminal's, else 100) */
  columns?: number;
}

type InputHandler = Parameters<typeof useInput>[0];

/**
 * Input through a ref: ink re-subscribes useInput handlers in a passive effect, which may run only
 * at the next commit, so a fresh closure could miss the next key. The stable wrapper always calls
 * the handler of the latest render.
 */
function Keys({ isActive, handler }: { isActive: boolean; handler: InputHandler }) {
  const ref = useRef(handler);
  ref.current = handler;
  const stable = useCallback<InputHandler>((input, key) => ref.current(input, key), []);
  useInput(stable, { isActive });
  return null;
}

/** Clamp the selection to the rows and scroll so it stays visible. */
export function fitCursor(
  c: { sel: number; off: number },
  maxSel: number,
  height: number,
): { sel: number; off: number } {
  const sel = Math.max(0, Math.min(maxSel, c.sel));
  let off = Math.max(0, Math.min(c.off, maxSel - height + 1));
  if (sel < off) off = sel;
  else if (sel >= off + height) off = sel - height + 1;
  return { sel, off: Math.max(0, off) };
}

export function Dashboard({ store, onQuit, onPauseChange, rows: rowsProp, columns }: DashboardProps) {
  const live = useSyncExternalStore(store.subscribe, store.get, store.get);
  const { isRawModeSupported } = useStdin();
  const { stdout } = useStdout();
  const width = columns ?? stdout?.columns ?? 100;
  const rows = rowsProp ?? stdout?.rows ?? 24;
  const [paused, setPaused] = useState(false);
  const [frozen, setFrozen] = useState<DashboardModel | null>(null);
  const [help, setHelp] = useState(false);
  const [sort, setSort] = useState<SortMode>('problems');
  const [filter, setFilter] = useState<Verdict | null>(null);
  const [cursor, setCursor] = useState({ sel: 0, off: 0 });

  const view: DashboardModel = paused && frozen ? { ...frozen, header: live.header } : live;
  const flows = sortFlows(filter ? view.flows.filter((f) => f.verdict === filter) : view.flows, sort);
  // every line is counted before drawing (layout.ts): the frame is exactly rows - 1 lines
  const L = dashboardLayout(view, { rows, flows: flows.length, help });
  const tableHeight = Math.max(1, L.tableRows);
  const cols = tableColumns(flows, width, (f) => VERDICT_STYLE[f.verdict].label);
  const maxSel = Math.max(0, flows.length - 1);
  const view0 = fitCursor(cursor, maxSel, tableHeight);
  const sel = view0.sel;
  const effOffset = view0.off;

  /** functional update: several keys between two renders all count */
  const move = (to: (sel: number) => number) =>
    setCursor((c) =>
      fitCursor({ sel: to(fitCursor(c, maxSel, tableHeight).sel), off: c.off }, maxSel, tableHeight),
    );

  const handler: InputHandler = (input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) {
      onQuit();
      return;
    }
    if (help) {
      if (input === '?' || key.escape) setHelp(false);
      return;
    }
    if (input === '?') setHelp(true);
    else if (input === 'p') {
      const p = !paused;
      setPaused(p);
      setFrozen(p ? live : null);
      onPauseChange?.(p);
    } else if (input === 'v') {
      setFilter(nextVerdictFilter(filter, view.verdicts));
      setCursor({ sel: 0, off: 0 });
    } else if (input === 's') {
      setSort(SORT_MODES[(SORT_MODES.indexOf(sort) + 1) % SORT_MODES.length]!);
      setCursor({ sel: 0, off: 0 });
    } else if (key.upArrow || input === 'k') move((s) => s - 1);
    else if (key.downArrow || input === 'j') move((s) => s + 1);
    else if (key.pageUp) move((s) => s - tableHeight);
    else if (key.pageDown) move((s) => s + tableHeight);
    else if (input === 'g' || key.home) move(() => 0);
    else if (input === 'G' || key.end) move(() => maxSel);
  };

  if (L.tooSmall)
    return (
      <Box flexDirection="column" height={L.height}>
        <Keys isActive={isRawModeSupported === true} handler={handler} />
        <Text wrap="truncate">{`toa-doctor live: terminal too small (${width}x${rows}); q quits`}</Text>
      </Box>
    );
  return (
    <Box flexDirection="column">
      <Keys isActive={isRawModeSupported === true} handler={handler} />
      <Header h={view.header} paused={paused} lines={L.headerLines === 1 ? 1 : 2} />
      {view.warnings.slice(0, L.warnings).map((w) => (
        <Text key={w} color="yellow" wrap="truncate">
          {`! ${w}`}
        </Text>
      ))}
      {help ? (
        <Help lines={L.helpLines} />
      ) : (
        <>
          <VerdictBar
            verdicts={view.verdicts}
            top={view.top}
            filter={filter}
            margin={L.verdictMargin}
            lines={L.top}
          />
          <FlowTable
            flows={flows}
            offset={effOffset}
            selected={sel}
            body={L.tableBody}
            rows={L.tableRows}
            moreLine={L.moreLine}
            margin={L.tableMargin}
            total={view.header.flows}
            cols={cols}
          />
          <HostPanel host={view.host} layout={L.host} />
        </>
      )}
      <Box marginTop={L.footerMargin ? 1 : 0}>
        <Text dimColor wrap="truncate">
          {isRawModeSupported
            ? `q quit  p ${paused ? 'resume' : 'pause'}  v filter: ${filter ? VERDICT_STYLE[filter].label : 'all'}  s sort: ${sort}  ↑↓/jk scroll  ? help`
            : 'keys unavailable (stdin is not a terminal): Ctrl-C or SIGTERM stops and prints the report'}
        </Text>
      </Box>
    </Box>
  );
}
