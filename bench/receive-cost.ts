/**
 * What receiving Scroll answers costs our process, apart from everything else (issue 12: "our CPU
 * ≤ 0.010 s per 1,000 points"). One stream of the product's raw gRPC client (grpc-raw.ts) scrolls
 * a whole collection of real Qdrant 1.19 (or the test server) again and again, warm; of each
 * answer only the cursor is read. Per round: our CPU per 1,000 points and per MB received, and the
 * source's CPU (from /proc, its child processes included). The bench's `raw-read` measure also times cutting its ranges and its
 * connections, so it reads higher than this.
 *
 * `--clients socket,http2` compares the raw client's two HTTP/2 transports (our own over a socket,
 * h2-socket.ts, and node:http2) in one process, alternating round by round (a, b, b, a, a, b, …, so
 * neither always runs first or last); each prints its median and range at the end. `--reads
 * direct,copy` does the same for the socket transport's two ways of reading an answer: into the
 * answer's buffer where it can (h2-socket.ts, the default) or everything through its shared read
 * buffer and copied from there (as before).
 *
 *   node --import tsx bench/receive-cost.ts [--workload ref768] [--points 20000] [--rounds 6] [--page 500] [--source real|test] [--clients socket,http2] [--reads direct,copy]
 */
import { loadavg } from 'node:os';
import { Command } from 'commander';
import type { PointId } from '../src/core/types.ts';
import { RawGrpcClient, type RawTransport } from '../src/transcode/grpc-raw.ts';
import { setDirectReads } from '../src/transcode/h2-socket.ts';
import { encodeScrollRequest } from '../src/qdrant/grpc-scroll.ts';
import { processCpuSeconds } from './lib.ts';
import { pageOf } from './measure-raw.ts';
import { startRealQdrantSource } from './real-source.ts';
import { startQdrantProcess } from './servers.ts';

const opts = new Command()
  .option('--workload <name>', 'bench workload', 'ref768')
  .option('--points <n>', 'points loaded', '20000')
  .option('--rounds <n>', 'scrolls of the whole collection', '6')
  .option('--page <n>', 'points per Scroll', '500')
  .option('--source <kind>', 'real (Qdrant 1.19 from ../shared/qdrant) or test (the test server)', 'real')
  .option('--clients <list>', 'raw client transports, alternated round by round: socket, http2', 'socket')
  .option('--reads <list>', 'how the socket transport reads answers, alternated round by round: direct, copy', 'direct')
  .parse()
  .opts<{ workload: string; points: string; rounds: string; page: string; source: string; clients: string; reads: string }>();

const count = Number(opts.points);
const source = opts.source === 'test' ? await startQdrantProcess(opts.workload, count) : await startRealQdrantSource(opts.workload, count, (m) => console.error(`[receive-cost] ${m}`));
const transports = opts.clients.split(',') as RawTransport[];
const reads = opts.reads.split(',');
for (const r of reads) if (r !== 'direct' && r !== 'copy') throw new Error(`--reads: '${r}' is not a way to read answers; pass direct, copy, or both to compare them (--reads direct,copy)`);
const clients = new Map(transports.map((t) => [t, new RawGrpcClient(`http://127.0.0.1:${source.grpcPort}`, {}, { transport: t })]));
/** What is compared: each transport, the socket one once per way of reading when there are several. */
const variants = transports.flatMap((t): Array<{ name: string; transport: RawTransport; direct: boolean }> => (t === 'socket' && reads.length > 1 ? reads.map((r) => ({ name: `socket/${r}`, transport: t, direct: r === 'direct' })) : [{ name: t, transport: t, direct: reads[0] === 'direct' }]));
const msPerMb = new Map<string, number[]>(variants.map((v) => [v.name, []]));
/** Round r's variant: a, b, b, a, a, b, … for two (one per round in turn for more). */
const variantOf = (round: number) => variants[variants.length === 2 ? ((round + 1) >> 1) % 2 : round % variants.length]!;
try {
  for (let round = 0; round < Number(opts.rounds); round++) {
    const { name, transport, direct } = variantOf(round);
    setDirectReads(direct);
    const client = clients.get(transport)!;
    const ours = process.cpuUsage();
    const theirs = processCpuSeconds(source.pid);
    const started = performance.now();
    let offset: PointId | undefined;
    let points = 0;
    let bytes = 0;
    for (;;) {
      const answer = await client.call('/qdrant.Points/Scroll', encodeScrollRequest({ collection: opts.workload, offset, limit: Number(opts.page), withData: true }), { timeoutMs: 120_000 });
      const page = pageOf(answer);
      bytes += answer.length;
      points += page.points;
      client.release(answer);
      if (page.next === null) break;
      offset = page.next;
    }
    const used = process.cpuUsage(ours);
    const cpu = (used.user + used.system) / 1e6;
    const mb = bytes / 2 ** 20;
    msPerMb.get(name)!.push((cpu / mb) * 1000);
    console.log(
      `round ${round} ${name}: ${points} points, ${mb.toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(2)} s; ` +
        `our CPU ${((cpu / points) * 1000).toFixed(4)} s/1k (${((cpu / mb) * 1000).toFixed(2)} ms/MB); ` +
        `source ${(((processCpuSeconds(source.pid) - theirs) / points) * 1000).toFixed(4)} s/1k; load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
  for (const [t, values] of msPerMb) {
    const sorted = [...values].sort((a, b) => a - b);
    if (sorted.length) console.log(`${t}: median ${sorted[sorted.length >> 1]!.toFixed(2)} ms/MB over ${sorted.length} rounds (${sorted[0]!.toFixed(2)}-${sorted.at(-1)!.toFixed(2)})`);
  }
} finally {
  for (const c of clients.values()) c.close();
  await source.stop();
}
