export { buildReport, pickTreeRecord } from './buildReport';
export type { ReportFigure, ReportOptions, ReportSummary } from './buildReport';
export { runReportCommand, formatReportSummary } from './command';
export type { ReportCommandOptions } from './command';
export { agentContributions, anytimeStats, pathStats, pointStats, refineDepth, runStats, spread, topKMean, TOP_K } from './stats';
export type { AgentContribution, AnytimeStats, PathStats, PointStats, RunStats, Spread } from './stats';
export { anytimeSpec, scalingSpec, svgToPng } from './charts';
export { renderTree } from './tree';
