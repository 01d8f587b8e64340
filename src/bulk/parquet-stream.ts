/**
 * One Parquet file written a row group at a time (parquet-wasm's transformParquetStream: Rust's
 * AsyncArrowWriter fed a stream of record batches), each group's bytes handed to the file's upload
 * as it is done, so neither the writer nor the process holds the whole file.
 *
 * Why: writeParquet takes the whole table and returns the whole file, and its WebAssembly memory
 * held the IPC copy, the decoded table and the growing output at once: 169 MB of linear memory for
 * one 39 MB file, 294 MB for a 63 MB one (basic 128-d rows, /tmp probe, 2026-12-07), and linear
 * memory never shrinks. Fed 4 MiB batches it stayed at 34-40 MB with three or four 64 MiB files in
 * progress at once (2 MiB: 18-28 MB, 8 MiB: 57-66 MB; parquet-rows.ts ROW_GROUP_BYTES says why 4).
 */
import {
  Compression, RecordBatch, Table as WasmTable, transformParquetStream, WriterPropertiesBuilder,
} from 'parquet-wasm';
import { systemError } from '../core/errors.ts';
import type { ObjectUpload } from './objects.ts';

export class ParquetStream {
  readonly #out: ObjectUpload;
  #input!: ReadableStreamDefaultController<RecordBatch>;
  #wanted: (() => void) | undefined;
  readonly #done: Promise<void>;
  #ended = false;
  #discarded = false;
  #closed = false;
  #tail: Uint8Array | undefined;
  #rows = 0;

  /** `groupRows`: rows per row group (the writer closes a group, and hands its bytes out, at this
   *  count); `out`: where the file's bytes go as they are made. */
  constructor(groupRows: number, out: ObjectUpload) {
    this.#out = out;
    // highWaterMark 0: a batch waits in the queue only until the writer takes it, and `pull` says when.
    const input = new ReadableStream<RecordBatch>({
      start: (c) => void (this.#input = c),
      pull: () => {
        const wanted = this.#wanted;
        this.#wanted = undefined;
        wanted?.();
      },
    }, { highWaterMark: 0 });
    // Dictionaries do not pay on vectors and ids; snappy costs little and shrinks $meta's JSON.
    const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setDictionaryEnabled(false)
      .setMaxRowGroupSize(Math.max(1, groupRows)).build();
    // Each finished row group goes to the upload before the writer may take the next batch.
    this.#done = transformParquetStream(input, props).then(async (output: ReadableStream<Uint8Array>) => {
      const reader = output.getReader();
      for (let r = await reader.read(); !r.done; r = await reader.read()) {
        if (this.#discarded) continue;
        this.#tail = r.value;
        // A failed upload cancels the output, so the writer's next write fails and it runs out.
        await out.write(r.value).catch(async (e: unknown) => {
          await reader.cancel(e).catch(() => undefined);
          throw e;
        });
      }
    }).finally(() => {
      this.#ended = true;
    });
    // Awaited (and thrown) by drain() and finish().
    this.#done.catch(() => undefined);
  }

  /** Hands one batch, as an Arrow IPC stream, to the writer. */
  write(ipc: Uint8Array): void {
    const table = WasmTable.fromIPCStream(ipc);
    try {
      for (const batch of table.recordBatches()) {
        this.#rows += batch.numRows;
        this.#input.enqueue(batch);
      }
    } finally {
      table.free();
    }
  }

  /** Waits until the writer has taken every batch handed to it (so at most one waits in memory). */
  async drain(): Promise<void> {
    while ((this.#input.desiredSize ?? 0) < 0 && !this.#ended) {
      await Promise.race([new Promise<void>((r) => (this.#wanted = r)), this.#done]);
    }
    if (this.#ended) await this.#done;
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#input.close();
  }

  /** Ends the file and its upload; resolves with the object's size. */
  async finish(): Promise<number> {
    this.#close();
    await this.#done;
    // The Rust side ends the stream without a word when a write fails (writer_async.rs drops the
    // error): a file without its footer is not used. A batch it dropped shows in the import's row
    // count, which the job checks against the source (migrate's count verification).
    const tail = this.#tail;
    if (!tail || tail.length < 4 || Buffer.from(tail.buffer, tail.byteOffset + tail.length - 4, 4).toString('latin1') !== 'PAR1') {
      await this.#out.abort();
      throw systemError('BULK_ROW_ENCODING', `The Parquet writer ended an import file of ${this.#rows} rows without its footer; the file is not used.`);
    }
    return this.#out.end();
  }

  /** Drops the file: the writer runs to its end on nothing, the upload is aborted. */
  async discard(): Promise<void> {
    this.#discarded = true;
    this.#close();
    await this.#out.abort();
  }
}
