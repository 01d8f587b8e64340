/**
 * Memory over time of a bench measure, to tell something retained (the floor after each full GC
 * rises with the points copied) from V8 slack (the floor stays flat; only the heap V8 lets grow
 * between full GCs moves the peak RSS). Preloaded into the measuring child:
 *
 *   MEM_OUT=/tmp/m.tsv BENCH_NODE_ARGS="--import ./bench/mem-sample.mjs" npm run bench -- --workloads rich --measures migrate
 *
 * Writes MEM_OUT (every 500 ms: RSS, heap total/used, external, array buffers, old space, MB) and
 * MEM_OUT with .gc.tsv (after every major GC: its pause and what survived). Plain JavaScript, so it
 * loads before tsx.
 */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver, constants } from 'node:perf_hooks';
import v8 from 'node:v8';

const out = process.env.MEM_OUT ?? `/tmp/mem-${process.pid}.tsv`;
const gcOut = `${out.replace(/\.tsv$/, '')}.gc.tsv`;
const t0 = Date.now();
const mb = (bytes) => (bytes / 2 ** 20).toFixed(1);
const seconds = () => ((Date.now() - t0) / 1000).toFixed(1);

appendFileSync(out, 't\trss\theapTotal\theapUsed\texternal\tarrayBuffers\toldSpace\n');
appendFileSync(gcOut, 't\tpauseMs\trss\theapUsed\texternal\tarrayBuffers\n');

setInterval(() => {
  const m = process.memoryUsage();
  const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')?.space_used_size ?? 0;
  appendFileSync(out, [seconds(), mb(m.rss), mb(m.heapTotal), mb(m.heapUsed), mb(m.external), mb(m.arrayBuffers), mb(old)].join('\t') + '\n');
}, 500).unref();

// The observer runs after the GC: heapUsed there is what survived it.
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
    const m = process.memoryUsage();
    appendFileSync(gcOut, [seconds(), e.duration.toFixed(1), mb(m.rss), mb(m.heapUsed), mb(m.external), mb(m.arrayBuffers)].join('\t') + '\n');
  }
}).observe({ entryTypes: ['gc'] });
