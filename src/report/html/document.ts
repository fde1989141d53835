/**
 * The report document a page is made from, when it is made from an analysis (read/live/bundle):
 * the same `toa-doctor/report@1` document `read --json` prints, but its flow list holds problems
 * first, then the other listed connections, up to `maxFlows` (summary.flows.listed keeps the real
 * count, so the page can say how many it left out). No I/O.
 */
import {
  buildReportHead,
  flowJson,
  isProblem,
  listedFlows,
  type ReportDocument,
  type ReportFlow,
  type ReportInput,
} from '../build.js';
import { HTML_MAX_FLOWS } from './page.js';

export function htmlReportDocument(input: ReportInput, maxFlows = HTML_MAX_FLOWS): ReportDocument {
  const head = buildReportHead(input);
  const mode = input.flows ?? 'problems';
  const flows: ReportFlow[] = [];
  if (maxFlows > 0) {
    for (const f of listedFlows(input.result, 'problems')) {
      flows.push(flowJson(f));
      if (flows.length >= maxFlows) break;
    }
    if (mode === 'all' && flows.length < maxFlows)
      for (const f of input.result.flows.filter((v) => !isProblem(v))) {
        flows.push(flowJson(f));
        if (flows.length >= maxFlows) break;
      }
  }
  const { findings, host, ...rest } = head;
  const doc: ReportDocument = { ...rest, flows, findings };
  if (host) doc.host = host;
  return doc;
}
