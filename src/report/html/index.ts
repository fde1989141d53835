/** The HTML report: renderHtml(report document) → one self-contained page. */
export { escapeHtml, jsonForScript } from './escape.js';
export { ladderLayout, ladderSvg } from './ladder-draw.js';
export { ladderModel, packetBlocks, readRoles } from './ladder-model.js';
export { HTML_MAX_FLOWS, type HtmlOptions, orderFlows, renderHtml } from './page.js';
export { checkReportDocument } from './validate.js';
