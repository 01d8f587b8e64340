/**
 * Milvus's row-based JSON import layout, the one every Milvus since 2.2 reads (2.3.5 probed):
 *
 *   {"rows":[{"id":18446744073709551615,"vector":[0.1,0.2],"$meta":{"k":"v"}}, ...]}
 *
 * - ids are bare number literals (Milvus 2.3.5 refuses quoted Int64 ids), written from the bigint,
 *   so ids above 2^53 arrive exact; VarChar ids are JSON strings;
 * - float vectors are arrays of numbers (a float32 widened to a double prints its shortest exact
 *   decimal, which parses back to the same float32);
 * - dynamic payload keys go inside `$meta` (as top-level keys 2.3.5 would look for schema fields);
 *   integers beyond 2^53 stay literals (src/milvus/rows.ts payloadJson).
 *
 * A file is written one encoded row at a time into its upload (objects.ts: parts of 5 MiB go out as
 * they fill), and is sealed once it passes its byte budget: a range holds about a part, not a file.
 */
import { configError, systemError } from '../core/errors.ts';
import type { CollectionPlan, DenseVector, JsonValue, Row } from '../core/types.ts';
import { payloadJson } from '../milvus/rows.ts';
import { packedPayloadOf } from '../core/packed-payload.ts';
import type { ObjectUpload } from './objects.ts';

/** Vector field types the JSON layout carries (2.3.5: FloatVector only; sparse/float16 need Parquet or 2.4+). */
const SUPPORTED = new Set(['FloatVector']);

/** Throws a config error naming the field when the plan has a field the JSON layout cannot carry. */
export function checkJsonLayout(plan: CollectionPlan): void {
  for (const v of plan.vectors) {
    if (!SUPPORTED.has(v.type)) {
      throw configError('BULK_FIELD_UNSUPPORTED', `Collection ${plan.source}: vector field ${v.field} is ${v.type}, which bulk import files cannot carry here (FloatVector only).`, 'Migrate this collection with --mode upsert (the default).');
    }
    if (v.nullable) {
      throw configError('BULK_FIELD_UNSUPPORTED', `Collection ${plan.source}: vector field ${v.field} is nullable, which bulk import files cannot carry.`, 'Migrate this collection with --mode upsert (the default).');
    }
  }
}

/** One row as a JSON object text. `corrupt` writes a vector one dimension short (fault injection). */
export function encodeJsonRow(plan: CollectionPlan, row: Row, corrupt = false): string {
  const id = typeof row.id === 'bigint' ? row.id.toString() : JSON.stringify(row.id);
  let text = `{${JSON.stringify(plan.primaryKey.field)}:${id}`;
  for (const v of plan.vectors) {
    const value = row.vectors[v.field] as DenseVector | null | undefined;
    if (value == null) throw systemError('BULK_ROW_ENCODING', `Row ${String(row.id)} of ${plan.target} has no ${v.field} vector.`);
    text += `,${JSON.stringify(v.field)}:[${(corrupt ? value.slice(1) : value).join(',')}]`;
  }
  for (const [field, value] of Object.entries(row.scalars ?? {})) {
    if (value === null) continue;
    text += `,${JSON.stringify(field)}:${jsonValue(value)}`;
  }
  // The transcoder's JSON where mapping kept it (what payloadJson writes: src/core/packed-payload.ts).
  const packed = packedPayloadOf(row);
  const meta = packed ? Buffer.from(packed.json.buffer, packed.json.byteOffset, packed.json.length).toString('utf8') : payloadJson(row.dynamic);
  if (meta === undefined) throw systemError('BULK_ROW_ENCODING', `Payload of id ${String(row.id)} cannot be serialised.`);
  return `${text},"$meta":${meta}}`;
}

function jsonValue(value: JsonValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object') return payloadJson({ v: value } as never)!.slice(5, -1);
  return JSON.stringify(value);
}

const HEAD = Buffer.from('{"rows":[');
const TAIL = Buffer.from(']}');
/** Encoded rows gathered before they go to the upload in one write. */
const CHUNK_BYTES = 1024 * 1024;

/** Writes encoded rows of one file into its upload as they come; seal() ends the file. */
export class JsonRowsFile {
  readonly #out: ObjectUpload;
  #parts: Buffer[] = [HEAD];
  #held = HEAD.length;
  #bytes = HEAD.length + TAIL.length;
  #sent: Promise<void> = Promise.resolve();
  rows = 0;

  constructor(out: ObjectUpload) {
    this.#out = out;
  }

  add(rowJson: string): void {
    const part = Buffer.from(this.rows === 0 ? rowJson : `,${rowJson}`, 'utf8');
    this.#parts.push(part);
    this.#held += part.length;
    this.#bytes += part.length;
    this.rows += 1;
    if (this.#held >= CHUNK_BYTES) this.#send();
  }

  get bytes(): number {
    return this.#bytes;
  }

  #send(): void {
    const sent = this.#out.write(Buffer.concat(this.#parts, this.#held));
    // A failed write fails every later one too: the last is the one awaited (drain, seal).
    sent.catch(() => undefined);
    this.#sent = sent;
    this.#parts = [];
    this.#held = 0;
  }

  /** Waits until what was written so far is on its way (a page at a time: bounds what a file holds). */
  async drain(): Promise<void> {
    await this.#sent;
  }

  async seal(): Promise<number> {
    this.#parts.push(TAIL);
    this.#held += TAIL.length;
    this.#send();
    await this.#sent;
    return this.#out.end();
  }

  discard(): Promise<void> {
    return this.#out.abort();
  }
}
