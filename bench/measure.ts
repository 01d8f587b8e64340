/**
 * One measurement in its own process (so its peak RSS and CPU are its own), started by run.ts:
 *
 *   BENCH_INPUT='{"measure":"migrate",...}' [BENCH_SETTINGS='{"readers":2}'] node --import tsx bench/measure.ts
 *
 * Prints one line `BENCH_RESULT {json}` on stdout.
 */
import type { MeasureInput, MeasureResult } from './lib.ts';
import { measureNaive, measureReadCeiling, measureWriteCeiling } from './measure-baselines.ts';
import { measureRawRead } from './measure-raw.ts';
import { measureVdf } from './measure-vdf.ts';
import { measureMigrate, measurePipeline, type OurSettings } from './measure-ours.ts';

const input = JSON.parse(process.env.BENCH_INPUT ?? '{}') as MeasureInput;
const settings = JSON.parse(process.env.BENCH_SETTINGS ?? '{}') as OurSettings;

const run: Record<MeasureInput['measure'], () => Promise<MeasureResult>> = {
  migrate: () => measureMigrate(input, settings),
  pipeline: () => measurePipeline(input, settings),
  naive: () => measureNaive(input),
  'read-ceiling': () => measureReadCeiling(input),
  'write-ceiling': () => measureWriteCeiling(input),
  'raw-read': () => measureRawRead(input),
  'vdf-io': () => measureVdf(input),
};

try {
  const res = await run[input.measure]();
  process.stdout.write(`BENCH_RESULT ${JSON.stringify(res)}\n`);
  process.exit(0);
} catch (error) {
  process.stderr.write(`${input.measure} on ${input.workload} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
