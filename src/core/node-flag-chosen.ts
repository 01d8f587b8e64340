/**
 * Whether the user already chose a V8/Node flag for this process: on its command line or in
 * NODE_OPTIONS (which child processes inherit). Our own defaults for such flags
 * (src/cli/node-flags.ts, src/core/heap-growth.ts) step aside when they did. Node accepts `-` and
 * `_` alike inside a flag's name, so `--max_semi_space_size` counts as `--max-semi-space-size`.
 */
export function nodeFlagChosen(flag: string, execArgv: readonly string[] = process.execArgv, nodeOptions: string = process.env.NODE_OPTIONS ?? ''): boolean {
  const name = flag.replace(/^--/, '').replace(/[-_]/g, '[-_]');
  const pattern = new RegExp(`^--${name}(=|$)`);
  return [...execArgv, ...nodeOptions.split(/\s+/)].some((arg) => pattern.test(arg));
}
