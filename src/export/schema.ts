/**
 * Column types of the exported tables, written once and used for both Parquet (explicit nested
 * schema: LIST of STRUCT, as pyarrow and Hugging Face `datasets` read it) and the dataset card.
 * JSONL rows carry the same fields with the same nesting, so `load_dataset('json')` and
 * `load_dataset('parquet')` give the same features.
 */
import type { ParquetColumn, ParquetSchemaElement } from './esm';

export type FieldType =
  | 'string'
  | 'double'
  /** 64-bit integer (BigInt inside the Parquet writer). */
  | 'int'
  | 'bool'
  | { list: FieldType }
  | { struct: Record<string, FieldType> };

export interface ColumnDef {
  name: string;
  type: FieldType;
  description: string;
}

function elements(name: string, type: FieldType): ParquetSchemaElement[] {
  if (type === 'string') return [{ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' }];
  if (type === 'double') return [{ name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }];
  if (type === 'int') return [{ name, type: 'INT64', repetition_type: 'OPTIONAL' }];
  if (type === 'bool') return [{ name, type: 'BOOLEAN', repetition_type: 'OPTIONAL' }];
  if ('list' in type) {
    // the standard 3-level LIST: <name> (LIST) / list (REPEATED) / element
    return [
      { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
      { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
      ...elements('element', type.list),
    ];
  }
  const fields = Object.entries(type.struct);
  return [{ name, repetition_type: 'OPTIONAL', num_children: fields.length }, ...fields.flatMap(([n, t]) => elements(n, t))];
}

/** The Parquet schema (root first) of a table. */
export function parquetSchema(columns: ColumnDef[]): ParquetSchemaElement[] {
  return [{ name: 'root', num_children: columns.length }, ...columns.flatMap((c) => elements(c.name, c.type))];
}

/** A JS value in the shape the Parquet writer wants: ints as BigInt, undefined as null. */
export function parquetValue(type: FieldType, v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'int') return BigInt(Math.round(v as number));
  if (type === 'double') return Number(v);
  if (type === 'string' || type === 'bool') return v;
  if ('list' in type) return (v as unknown[]).map((x) => parquetValue(type.list, x));
  const o = v as Record<string, unknown>;
  return Object.fromEntries(Object.entries(type.struct).map(([n, t]) => [n, parquetValue(t, o[n])]));
}

/** Rows → columns for the Parquet writer. */
export function toColumns(columns: ColumnDef[], rows: Array<Record<string, unknown>>): ParquetColumn[] {
  return columns.map((c) => ({ name: c.name, data: rows.map((r) => parquetValue(c.type, r[c.name])) }));
}

/** A row with exactly the declared fields, in declared order, missing ones as null (JSONL). */
export function normalizeRow(columns: ColumnDef[], row: Record<string, unknown>): Record<string, unknown> {
  const norm = (type: FieldType, v: unknown): unknown => {
    if (v === undefined || v === null) return null;
    if (typeof type === 'string') return v;
    if ('list' in type) return (v as unknown[]).map((x) => norm(type.list, x));
    const o = v as Record<string, unknown>;
    return Object.fromEntries(Object.entries(type.struct).map(([n, t]) => [n, norm(t, o[n])]));
  };
  return Object.fromEntries(columns.map((c) => [c.name, norm(c.type, row[c.name])]));
}

/** Short type text for the dataset card, e.g. `list<struct<role: string, content: string>>`. */
export function typeText(type: FieldType): string {
  if (typeof type === 'string') return type === 'int' ? 'int64' : type === 'double' ? 'float64' : type;
  if ('list' in type) return `list<${typeText(type.list)}>`;
  return `struct<${Object.entries(type.struct)
    .map(([n, t]) => `${n}: ${typeText(t)}`)
    .join(', ')}>`;
}
