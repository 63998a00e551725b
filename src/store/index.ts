export { FsTextStore, StoreError, isTextKey, openStore, textKey } from './textStore';
export type { StoreErrorCode, TextStore } from './textStore';
export { PromptScope, SCOPES_FOLDER } from './promptScope';
export type { ScopedEntry } from './promptScope';
export {
  decodeRecordName,
  encodeRecordName,
  flatRecordPath,
  iterateRecords,
  keepRecordAside,
  legacyRecordPath,
  readRecord,
  readRecordFile,
  readRecords,
  recordPath,
  recordSubfolder,
  RecordFileError,
  SUPERSEDED_FOLDER,
  writeRecordAtomic,
} from './records';
export type { RecordEntry, RecordFile } from './records';
