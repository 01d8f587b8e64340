/**
 * One compare check in its own process, started by verify.ts, so its peak RSS (issue 11: flat
 * whatever the collection size) and CPU are its own and not the migrate's that filled the target:
 *
 *   BENCH_VERIFY='{"check":"full"|"sync", "plan":{...}, "restUrl", "grpcPort", "transport", "milvusUri", "token"?}' \
 *     node --import tsx bench/verify-child.ts
 *
 * Prints one line `BENCH_RESULT {json}`: points compared, problems (verify: missing + extra +
 * different; sync: rows upserted + deleted), the counts, this process's CPU seconds and peak RSS.
 */
import type { CollectionPlan } from '../src/core/types.ts';
import { syncCollection } from '../src/core/sync.ts';
import { checkFull } from '../src/core/verify-full.ts';
import { createMilvusSink } from '../src/milvus/index.ts';
import { createQdrantReader } from '../src/qdrant/index.ts';

export interface VerifyChildInput {
  check: 'full' | 'sync';
  plan: CollectionPlan;
  restUrl: string;
  grpcPort: number;
  transport: 'grpc' | 'rest';
  milvusUri: string;
  token?: string;
}

export interface VerifyChildResult {
  points: number;
  problems: number;
  counts: Record<string, unknown>;
  cpuSeconds: number;
  peakRssMb: number;
  /** Wall seconds of the check itself, from both sides connected to its end (what the migrate's
   *  row measures too: the bench times it with its reader and sink already connected). */
  checkSeconds: number;
  /** Wall seconds from this process's start to the check's: Node, tsx, the SDK's modules, connecting. */
  startSeconds: number;
}

const input = JSON.parse(process.env.BENCH_VERIFY ?? '{}') as VerifyChildInput;
const reader = createQdrantReader({ url: input.restUrl, grpcPort: input.grpcPort, transport: input.transport });
const sink = await createMilvusSink({ uri: input.milvusUri, ...(input.token ? { token: input.token } : {}) });
const started = performance.now();
try {
  let result: Omit<VerifyChildResult, 'cpuSeconds' | 'peakRssMb' | 'checkSeconds' | 'startSeconds'>;
  if (input.check === 'full') {
    const r = await checkFull(input.plan, reader, sink);
    result = { points: r.compared, problems: r.missing + r.extra + r.different, counts: { missing: r.missing, extra: r.extra, different: r.different } };
  } else {
    const r = await syncCollection(input.plan, reader, sink);
    result = { points: r.compared, problems: r.upserted + r.deleted, counts: { ...r } };
  }
  const cpu = process.cpuUsage();
  const checkSeconds = +((performance.now() - started) / 1000).toFixed(2);
  const out: VerifyChildResult = { ...result, checkSeconds, startSeconds: +(started / 1000).toFixed(2), cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2), peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) };
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(out)}\n`);
} catch (error) {
  process.stderr.write(`verify child (${input.check}) failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await Promise.allSettled([reader.close(), sink.close()]);
}
