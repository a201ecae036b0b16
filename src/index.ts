// mlmeta's public library API. Everything the CLI does is reachable from here.
export { openStore, initStore, Store, type OpenOptions } from './api/store.js';
export type { RecordInput, RecordResult, ParentRef } from './api/record.js';
export type { ShowResult, ParentView } from './api/show.js';
export type { LogEntry } from './api/log.js';
export { FINDINGS, type Finding, type FindingId, type VerifyReport, type Severity } from './api/verify.js';
export { MlmetaError, ERROR_CODES, type ErrorCode } from './errors.js';
export type { RecordBody, Parent, CodeState, Artifact } from './records/record.js';
export { parseRef, type ParsedRef } from './records/refs.js';
export { canonicalYaml, parseYaml } from './records/yaml.js';
export { sha256Hex } from './store/objects.js';
export type { StoreLayout } from './store/location.js';
export { parseParamPairs, parseMetricPairs, readMappingFile } from './capture/values.js';
export { startUi, type UiOptions, type UiServer } from './ui/server.js';
export { exportSite, type ExportResult } from './ui/export.js';
