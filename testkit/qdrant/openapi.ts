/**
 * Checks test-server responses against Qdrant's official OpenAPI 1.19 spec with Ajv, so the test
 * server cannot drift from the real wire format unnoticed.
 *
 * - `validateResponse(method, path, status, contentType, bodyText)` → problems (empty = valid).
 * - `createResponseAuditor()` → an `onResponse` hook for `startQdrantTestServer` / `startRestServer`
 *   that validates every response the server sends, plus `assertClean()` for tests.
 *
 * The spec is OpenAPI 3.0: `nullable` is rewritten to JSON Schema null types, and Qdrant's integer
 * formats (uint, uint64, …) are registered as numeric checks. Bodies are parsed with JSON.parse, so
 * integers above 2^53 are checked as (rounded) numbers, which keeps their type and sign intact.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export function openApiSpecPath(): string {
  return process.env.QDRANT_OPENAPI ?? resolve(REPO_ROOT, 'testkit', 'qdrant', 'reference', 'qdrant-openapi-1.19.json');
}

type Schema = Record<string, unknown>;
const SPEC_ID = 'qdrant-openapi';

/** OpenAPI 3.0 → JSON Schema: `nullable` becomes a null type, local $refs point into SPEC_ID. */
function convert(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(convert);
  if (typeof node !== 'object' || node === null) return node;
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref' && typeof v === 'string' && v.startsWith('#/')) out[k] = `${SPEC_ID}${v}`;
    else if (k !== 'nullable' && k !== 'example') out[k] = convert(v);
  }
  if ((node as Schema).nullable !== true) return out;
  if (typeof out.type === 'string') {
    out.type = [out.type, 'null'];
    if (Array.isArray(out.enum)) out.enum = [...(out.enum as unknown[]), null];
    return out;
  }
  const structural = ['$ref', 'anyOf', 'oneOf', 'allOf', 'properties', 'items'].some((k) => k in out);
  return structural ? { anyOf: [out, { type: 'null' }] } : { ...out, type: 'null' };
}

interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
}

interface Compiled {
  ajv: Ajv;
  spec: Spec;
  /** Path templates, literal ones first so `/collections/aliases` beats `/collections/{name}`. */
  templates: Array<{ template: string; pattern: RegExp }>;
  cache: Map<string, ValidateFunction>;
}

let compiled: Compiled | undefined;

function load(): Compiled {
  if (compiled) return compiled;
  const spec = JSON.parse(readFileSync(openApiSpecPath(), 'utf8')) as Spec;
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: under NodeNext its default import is the module object.
  const addFormats = addFormatsModule.default;
  addFormats(ajv);
  const unsigned = (n: number) => Number.isInteger(n) && n >= 0;
  for (const f of ['uint', 'uint8', 'uint16', 'uint32', 'uint64']) ajv.addFormat(f, { type: 'number', validate: unsigned });
  ajv.addFormat('partial-date-time', true);
  ajv.addSchema(convert(spec) as Schema, SPEC_ID);
  const templates = Object.keys(spec.paths)
    .map((template) => ({ template, pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
    .sort((a, b) => (a.template.match(/\{/g)?.length ?? 0) - (b.template.match(/\{/g)?.length ?? 0));
  compiled = { ajv, spec, templates, cache: new Map() };
  return compiled;
}

function responseSpec(op: Operation, status: number) {
  return op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default;
}

/** Problems with one response (empty when it matches the spec). */
export function validateResponse(method: string, path: string, status: number, contentType: string, body: string): string[] {
  const { ajv, spec, templates, cache } = load();
  const where = `${method} ${path} → ${status}`;
  const template = templates.find((t) => t.pattern.test(path))?.template;
  const op = template ? spec.paths[template]?.[method.toLowerCase()] : undefined;
  // A path outside the API gets Qdrant's bare 404 (empty body, no content type), as real Qdrant.
  if (!template || !op) return status === 404 && contentType === '' && body === '' ? [] : [`${where}: no such operation in the Qdrant OpenAPI spec`];
  // Qdrant's auth middleware answers 401 with a bare text body and no content type, outside what
  // the spec describes (checked against real Qdrant 1.19 by qdrant-conformance.test.ts).
  if (status === 401) return contentType === '' ? [] : [`${where}: 401 must have no content type`];
  const response = responseSpec(op, status);
  if (!response) return [`${where}: status not described by the spec`];
  if (!response.content) return [];
  const json = response.content['application/json'];
  if (!json) {
    const textual = response.content['text/plain'];
    return textual && contentType.startsWith('text/plain') ? [] : [`${where}: expected ${Object.keys(response.content).join(', ')}, got ${contentType}`];
  }
  if (!contentType.startsWith('application/json')) return [`${where}: expected application/json, got ${contentType}`];
  const key = `${template} ${method} ${status}`;
  let validate = cache.get(key);
  if (!validate) {
    validate = ajv.compile(convert(json.schema ?? {}) as Schema);
    cache.set(key, validate);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return [`${where}: body is not JSON`];
  }
  if (validate(parsed)) return [];
  return (validate.errors ?? []).slice(0, 5).map((e) => `${where}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

export interface ResponseInfo {
  method: string;
  path: string;
  status: number;
  contentType: string;
  body: string;
}

/** Validates every response it is shown; collects problems for the test to assert on. */
export function createResponseAuditor() {
  const problems: string[] = [];
  let seen = 0;
  return {
    onResponse(info: ResponseInfo): void {
      if (info.path.startsWith('/__testkit/')) return;
      seen++;
      problems.push(...validateResponse(info.method, info.path, info.status, info.contentType, info.body));
    },
    /** Number of responses checked so far (lets a test prove the hook was wired). */
    get checked(): number {
      return seen;
    },
    problems: () => [...problems],
    assertClean(): void {
      if (problems.length > 0) throw new Error(`responses outside the Qdrant OpenAPI spec:\n${problems.join('\n')}`);
    },
  };
}
