export { FsTextStore, StoreError, isTextKey, openStore, textKey } from './textStore';
export type { StoreErrorCode, TextStore } from './textStore';
export {
  decodeRecordName,
  encodeRecordName,
  iterateRecords,
  readRecord,
  readRecordFile,
  readRecords,
  recordPath,
  writeRecordAtomic,
} from './records';
export type { RecordEntry, RecordFile } from './records';
