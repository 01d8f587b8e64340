/**
 * Fault injection shared by the REST and gRPC test servers.
 *
 * A transport calls `await faults.check(route)` before handling each request and obeys the answer:
 * - `{kind: 'ok'}`: handle the request normally (any configured latency has already elapsed);
 * - `{kind: 'error', status, retryAfter?}`: answer with that HTTP status (REST: Qdrant's JSON error
 *   body, plus a `Retry-After: <seconds>` header when `retryAfter` is set; gRPC: map 429 to
 *   RESOURCE_EXHAUSTED and 5xx to UNAVAILABLE / INTERNAL);
 * - `{kind: 'close'}`: drop the connection without answering (REST: destroy the socket; gRPC:
 *   answer UNAVAILABLE, the closest a single call can get);
 * - `{kind: 'absent'}`: answer as a server that lacks the endpoint (REST: 404 with an empty body,
 *   as Qdrant's router answers an unknown route; gRPC: UNIMPLEMENTED). WITHOUT_QUERY uses it to
 *   play a Qdrant older than 1.10, which has no `query` (so no `sample: random`).
 *
 * Routes are strings: REST uses `"<METHOD> <path>"` (e.g. `POST /collections/docs/points/scroll`),
 * gRPC uses `"GRPC <method path>"` (e.g. `GRPC /qdrant.Points/Scroll`). A rule's `route` is a glob
 * over that string where `*` matches any run of characters; the first matching rule applies.
 * Randomness comes from a seeded generator, so a test that sends the same requests in the same
 * order sees the same faults every run.
 */
import { mulberry32 } from '../datasets/prng.ts';

export interface FaultRule {
  /** Glob over the route string; default `*` (every request). */
  route?: string;
  /** Share of matching requests answered with `errorStatus` (0..1). Default 0. */
  errorRate?: number;
  /** Status for `errorRate` faults. Default 503. */
  errorStatus?: number;
  /** Share of matching requests answered 429 with Retry-After (0..1). Default 0. */
  rateLimitRate?: number;
  /** Retry-After seconds sent with 429. Default 1. */
  retryAfterSeconds?: number;
  /** Delay added before every matching request, in ms. Default 0. */
  latencyMs?: number;
  /** Serve N matching requests, then drop the connection of the next one; repeats. Default off. */
  closeAfter?: number;
  /** Stop injecting errors / 429s / closes for this rule after this many. Default unlimited. */
  maxFaults?: number;
  /** Every matching request is answered as by a server without this endpoint (see `absent`
   *  above); counted in `errors`. Default false. */
  absent?: boolean;
}

/** Rules that make the test server a Qdrant older than 1.10: no `query` endpoint over either
 *  transport, so no `sample: random` (the range split then scans). */
export const WITHOUT_QUERY: readonly FaultRule[] = [
  { route: 'POST /collections/*/points/query', absent: true },
  { route: 'GRPC /qdrant.Points/Query', absent: true },
];

export interface FaultConfig {
  /** PRNG seed. Default 1. */
  seed?: number;
  rules?: FaultRule[];
}

export type FaultDecision =
  | { kind: 'ok' }
  | { kind: 'error'; status: number; retryAfter?: number }
  | { kind: 'close' }
  | { kind: 'absent' };

export interface FaultStats {
  requests: number;
  errors: number;
  rateLimited: number;
  closed: number;
  delayed: number;
}


function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

interface RuleState {
  rule: FaultRule;
  pattern: RegExp;
  matched: number;
  faults: number;
}

export class FaultController {
  private rules: RuleState[] = [];
  private random: () => number = mulberry32(1);
  private current: FaultConfig = {};
  private counters: FaultStats = { requests: 0, errors: 0, rateLimited: 0, closed: 0, delayed: 0 };

  constructor(config: FaultConfig = {}) {
    this.configure(config);
  }

  /** Replaces the whole configuration and resets counters and the random sequence. */
  configure(config: FaultConfig): void {
    for (const r of config.rules ?? []) validateRule(r);
    this.current = structuredClone(config);
    this.random = mulberry32(config.seed ?? 1);
    this.rules = (config.rules ?? []).map((rule) => ({ rule, pattern: globToRegExp(rule.route ?? '*'), matched: 0, faults: 0 }));
    this.counters = { requests: 0, errors: 0, rateLimited: 0, closed: 0, delayed: 0 };
  }

  /** Removes every rule. */
  clear(): void {
    this.configure({});
  }

  config(): FaultConfig {
    return structuredClone(this.current);
  }

  stats(): FaultStats {
    return { ...this.counters };
  }

  /** Decides the fate of one request (see the file comment for what callers must do). */
  async check(route: string): Promise<FaultDecision> {
    this.counters.requests++;
    const state = this.rules.find((s) => s.pattern.test(route));
    if (!state) return { kind: 'ok' };
    const { rule } = state;
    state.matched++;
    if (rule.latencyMs && rule.latencyMs > 0) {
      this.counters.delayed++;
      await new Promise((resolve) => setTimeout(resolve, rule.latencyMs));
    }
    const decision = this.decide(state);
    if (decision.kind !== 'ok') state.faults++;
    return decision;
  }

  private decide(state: RuleState): FaultDecision {
    const { rule } = state;
    if (rule.maxFaults !== undefined && state.faults >= rule.maxFaults) return { kind: 'ok' };
    if (rule.absent) {
      this.counters.errors++;
      return { kind: 'absent' };
    }
    if (rule.closeAfter !== undefined && state.matched % (rule.closeAfter + 1) === 0) {
      this.counters.closed++;
      return { kind: 'close' };
    }
    // Draw both numbers every time so one rate does not shift the other's sequence.
    const errorDraw = this.random();
    const limitDraw = this.random();
    if (errorDraw < (rule.errorRate ?? 0)) {
      this.counters.errors++;
      return { kind: 'error', status: rule.errorStatus ?? 503 };
    }
    if (limitDraw < (rule.rateLimitRate ?? 0)) {
      this.counters.rateLimited++;
      return { kind: 'error', status: 429, retryAfter: rule.retryAfterSeconds ?? 1 };
    }
    return { kind: 'ok' };
  }
}

function validateRule(r: FaultRule): void {
  const rate = (v: number | undefined, name: string) => {
    if (v !== undefined && !(v >= 0 && v <= 1)) throw new Error(`fault rule ${name} must be within 0..1, got ${v}`);
  };
  rate(r.errorRate, 'errorRate');
  rate(r.rateLimitRate, 'rateLimitRate');
  if (r.errorStatus !== undefined && !(r.errorStatus >= 400 && r.errorStatus <= 599)) {
    throw new Error(`fault rule errorStatus must be an HTTP error status, got ${r.errorStatus}`);
  }
  if (r.closeAfter !== undefined && !(Number.isInteger(r.closeAfter) && r.closeAfter >= 0)) {
    throw new Error(`fault rule closeAfter must be a whole number >= 0, got ${r.closeAfter}`);
  }
}
