/**
 * The report document a page is made from, when it is made from an analysis (read/live/bundle):
 * the same `toa-doctor/report@1` document `read --json` prints, but its flow list holds problems
 * first, then the other listed connections, up to `maxFlows` (summary.flows.listed keeps the real
 * count, so the page can say how many it left out). No I/O.
 */
import { buildReport, type ReportDocument, type ReportInput } from '../build.js';
import { HTML_MAX_FLOWS } from './page.js';

export function htmlReportDocument(input: ReportInput, maxFlows = HTML_MAX_FLOWS): ReportDocument {
  return buildReport({ ...input, flowLimit: maxFlows, problemsFirst: true });
}
