/** Printing helpers shared by the commands: JSON that survives bigint, and short descriptions. */
import { formatPayloadKeys } from './payload-table.ts';
import type { CollectionPlan, SourceVector } from '../core/types.ts';

/**
 * Exits once everything written to stdout and stderr has reached the other side. On a pipe,
 * process.stdout writes asynchronously past the pipe's buffer (64 KiB on Linux): exiting with a
 * write pending cuts the output. A reader that went away (EPIPE, `| head`) ends the wait too.
 */
export async function exitWhenFlushed(code: number): Promise<never> {
  await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
  process.exit(code);
}

function flushed(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.writableLength === 0 || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => resolve();
    stream.once('error', done);
    stream.once('close', done);
    // Writes complete in order: this empty write's callback runs once every earlier one is out.
    stream.write('', done);
  });
}

/** JSON on stdout; bigint values become exact decimal numbers in the text. */
export function printJson(value: unknown): void {
  process.stdout.write(`${toJson(value)}\n`);
}

export function toJson(value: unknown, indent = 2): string {
  const marker = '__bigint__';
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${marker}${v.toString()}${marker}` : v), indent);
  return text.replace(new RegExp(`"${marker}(-?\\d+)${marker}"`, 'g'), '$1');
}

export function describeVector(v: SourceVector): string {
  const name = v.name === '' ? '(unnamed)' : v.name;
  const shape = v.kind === 'sparse' ? 'sparse' : `${v.kind} ${v.dim}-d ${v.datatype} ${v.distance ?? ''}`.trim();
  const extra = [v.sparseModifier === 'idf' ? 'idf modifier' : '', v.missingCount > 0 ? `missing on ${v.missingCount} points` : '']
    .filter(Boolean)
    .join(', ');
  return `${name}: ${shape}${extra ? ` (${extra})` : ''}`;
}

/** The schema preview of one collection plan, as a small table. */
export function formatPlan(c: CollectionPlan): string {
  const rows: string[][] = [['source', 'target field', 'type', 'dim', 'metric', 'index']];
  rows.push(['(point id)', c.primaryKey.field, `${c.primaryKey.type}${c.primaryKey.maxLength ? `(${c.primaryKey.maxLength})` : ''} primary key, auto ID off`, '', '', '']);
  for (const v of c.vectors) {
    const params = Object.entries(v.index.params).map(([k, x]) => `${k}=${x}`).join(' ');
    rows.push([v.source === '' ? '(unnamed vector)' : v.source, v.field, v.type, v.dim ? String(v.dim) : '', v.metric ?? '(choose)', `${v.index.type}${params ? ` ${params}` : ''}`]);
  }
  rows.push(['(payload)', '$meta', 'dynamic field (JSON)', '', '', '']);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => `  ${r.map((cell, i) => cell.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  const notes = c.vectors.filter((v) => v.note).map((v) => `  note (${v.field}): ${v.note}`);
  return [
    `${c.source} → ${c.target}${c.description ? ` — "${c.description}"` : ''} (${c.sourceCount} points; if it exists: ${c.ifExists}; points missing a vector: ${c.policies.missingVector})`,
    ...lines,
    ...notes,
    ...formatPayloadKeys((c.payload ?? []).flatMap((p) => (p.stats ? [p.stats] : [])), c.payload, c.partitionKey),
    ...(c.aliases?.length ? [`  aliases: ${c.aliases.map((a) => `${a.name}${a.switch ? ' (switch at the end)' : a.onConflict !== 'fail' ? ` (on conflict: ${a.onConflict})` : ''}`).join(', ')}`] : []),
  ].join('\n');
}
