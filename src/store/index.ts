export { FsTextStore, StoreError, isTextKey, openStore, textKey } from './textStore';
export type { StoreErrorCode, TextStore } from './textStore';
export {
  decodeRecordName,
  encodeRecordName,
  iterateRecords,
  keepRecordAside,
  legacyRecordPath,
  readRecord,
  readRecordFile,
  readRecords,
  recordPath,
  RecordFileError,
  SUPERSEDED_FOLDER,
  writeRecordAtomic,
} from './records';
export type { RecordEntry, RecordFile } from './records';
