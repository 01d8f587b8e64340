/**
 * Whether the target's writes cost more per row as requests grow, learnt by timing it.
 *
 * Milvus Lite 2.5.1 (Milvus's C++ engine) takes an Insert of 768-d rows in ~7.5 ms at 512 KiB,
 * ~20 ms at 1 MiB, ~120 ms at 2 MiB, ~440 ms at 4 MiB and ~7 s at 8 MiB: most of its time in page
 * faults below a memmove of the request's float arrays (docs/performance.md, "Session 16"). Our
 * pages are ~2 MiB of rows and write() gathers up to 16 MiB: there a ref768 migrate (100k) took
 * 12.8 s against 7.3-8.3 s in 512 KiB requests, basic 1M 45.5 s against 32.6 s, and the bench's
 * 16 MiB writes took minutes. Milvus Lite 3.2.2 and Milvus 2.3.5 take the same rows at the same
 * cost per row from 1 to 16 MiB.
 *
 * A version string would not say it (Lite 2.5 reports none), so the sink asks the target: on a
 * throwaway collection (`_q2m_probe_…`, dropped after, like probe.ts's), the same rows as one
 * large request and as requests of PROBE_SMALL_BYTES, one at a time, in rounds. A target whose
 * large request costs PENALTY_RATIO× the small ones gets requests of PROBE_SMALL_BYTES; any other
 * answer, a refusal or a failure leaves the sink's request size as it is. Over a slow network the
 * small requests pay more round trips, so they only ever look slower: the probe cannot pick small
 * requests there. Cost before the first write: ~0.1-0.3 s on Milvus 2.3.5, ~0.3-0.6 s on the
 * Lites (0.2 s more per round where the ratio is near the line); the probe collection's drop
 * (0.1-0.2 s on Lite 3) is waited for only by the sink's close().
 */
import type { CollectionPlan, Row } from '../core/types.ts';
import type { MilvusConnection } from './client.ts';
import { statusFailed, type MilvusStatus } from './errors.ts';
import { probeCollectionName } from './probe-answer.ts';
import { rawUnary } from './raw-call.ts';
import { prepareCollection } from './schema.ts';
import { prepareUpserts } from './writer.ts';

/** The request size a slow-growing target is held to. */
export const PROBE_SMALL_BYTES = 512 * 1024;
/**
 * The size compared with it: the default page (core/defaults.ts). How much more one such request
 * must cost than the same rows in small ones, each side taken at its fastest round (a busy machine
 * only ever adds time, so the fastest is the closest to the target's own cost). Measured
 * (docs/performance.md, "Session 17"): Lite 2.5.1 3.3-4.3× on a fresh server, down to 2.1-2.5× now
 * and then on one that has served other collections (its small requests slow down too), 2.5-3.9×
 * beside three busy loops; Lite 3 0.9-1.2×; Milvus 2.3.5 0.5-1.0× (single rounds up to 3.4×: its
 * flushes land on either side). A line of 2 failed once in CI on Lite 2.5.1; 1.6 stands ×1.3 from
 * both sides. The rounds go on while the ratio is within ×UNSURE of the line, up to MAX_ROUNDS. A
 * wrong "hold" costs Lite 3 nothing (the same cost per row); a wrong "whole" costs Lite 2.5.1 speed;
 * neither loses a row.
 */
const PROBE_LARGE_BYTES = 2 * 1024 * 1024;
const PENALTY_RATIO = 1.6;
const UNSURE = 1.3;
const MIN_ROUNDS = 2;
const MAX_ROUNDS = 5;
/** 1024-d float32 rows: ~4 KiB each, so 2 MiB is ~500 rows (bytes more than rows or fields set the cost). */
const PROBE_DIM = 1024;
/** A probe row's request bytes, about (vector, key, empty `$meta`). */
const ROW_BYTES = PROBE_DIM * 4 + 64;

export interface WriteSizeAnswer {
  /** The request size in bytes this target should be held to; undefined where larger requests
   *  cost no more per row, or the probe could not tell. */
  requestBytes: number | undefined;
  /** What it was decided on (absent where the probe failed): each side's fastest round in ms. */
  measured?: WriteSizeMeasure;
  /** The probe collection's drop, under way: the connection must not close before it settles. */
  dropped: Promise<void>;
}

export interface WriteSizeMeasure {
  smallMs: number;
  largeMs: number;
  rounds: number;
}

/** Never throws: a probe that fails is an answer of "no limit". */
export async function probeWriteRequestBytes(conn: MilvusConnection): Promise<WriteSizeAnswer> {
  const plan = probePlan();
  const measured = await measure(conn, plan);
  const dropped = conn.client.dropCollection({ collection_name: plan.target, db_name: conn.database }).then(
    () => undefined,
    () => undefined,
  );
  const penalised = measured !== undefined && measured.largeMs >= PENALTY_RATIO * measured.smallMs;
  return { requestBytes: penalised ? PROBE_SMALL_BYTES : undefined, measured, dropped };
}

async function measure(conn: MilvusConnection, plan: CollectionPlan): Promise<WriteSizeMeasure | undefined> {
  try {
    await prepareCollection(conn, plan);
    let nextId = 0;
    const rows = (bytes: number): Row[] => Array.from({ length: Math.floor(bytes / ROW_BYTES) }, () => syntheticRow(nextId++));
    const send = async (requests: Buffer[]) => {
      const started = performance.now();
      for (const request of requests) {
        const answer = await rawUnary<{ status?: MilvusStatus }>(conn, 'Insert', request);
        if (statusFailed(answer.status)) throw new Error('Insert refused');
      }
      return performance.now() - started;
    };
    const encode = (rowBytes: number, requestBytes: number) => prepareUpserts(conn.database, plan, rows(rowBytes), requestBytes).map((b) => b.request);
    // The first writes into a new collection are slower on every target (~60-100 ms): not compared.
    await send(encode(16 * ROW_BYTES, PROBE_SMALL_BYTES));
    let small = Infinity;
    let large = Infinity;
    let rounds = 0;
    const unsure = () => large < PENALTY_RATIO * UNSURE * small && large > (PENALTY_RATIO / UNSURE) * small;
    while (rounds < MIN_ROUNDS || (rounds < MAX_ROUNDS && unsure())) {
      rounds++;
      const timeSmall = async () => (small = Math.min(small, await send(encode(PROBE_LARGE_BYTES, PROBE_SMALL_BYTES))));
      const timeLarge = async () => (large = Math.min(large, await send(encode(PROBE_LARGE_BYTES, PROBE_LARGE_BYTES + 64 * 1024))));
      // Alternated, so neither side always meets the collection a little fuller.
      if (rounds % 2 === 1) await timeSmall().then(timeLarge);
      else await timeLarge().then(timeSmall);
    }
    return { smallMs: small, largeMs: large, rounds };
  } catch {
    return undefined;
  }
}

function probePlan(): CollectionPlan {
  return {
    source: '',
    target: probeCollectionName(),
    description: 'qdrant2milvus write-size probe (dropped at once)',
    primaryKey: { field: 'id', type: 'Int64', autoId: false },
    vectors: [{ source: '', field: 'v', type: 'FloatVector', dim: PROBE_DIM, metric: 'L2', index: { type: 'FLAT', params: {} }, nullable: false }],
    dynamicField: true,
    partitionKey: null,
    policies: { nullPayloadValues: 'drop', missingVector: 'fail' },
    ifExists: 'fail',
    sourceCount: 0,
  };
}

function syntheticRow(id: number): Row {
  const vector = new Array<number>(PROBE_DIM);
  for (let i = 0; i < PROBE_DIM; i++) vector[i] = ((id * 31 + i * 7) % 101) / 101;
  return { id: BigInt(id), vectors: { v: vector }, dynamic: {} };
}
