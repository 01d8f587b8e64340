/**
 * Calls the HTTP API in-process (`app.request()`, no port) and checks every JSON answer against
 * the OpenAPI document the app serves, so a test that passes also proves the document right.
 * Every body seen is kept, for the "no secret in any response" assertion.
 */
import assert from 'node:assert/strict';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { ValidateFunction } from 'ajv';

interface App {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

export interface ApiResult<T = unknown> {
  status: number;
  headers: Headers;
  json: T;
  text: string;
}

export class ApiClient {
  /** Every response body (and SSE chunk) seen, for secret scans. */
  readonly seen: string[] = [];
  private doc: Record<string, unknown> | undefined;
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(
    private readonly app: App,
    private readonly token?: string,
  ) {
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
  }

  /** Loads /api/openapi.json (once) and registers it with ajv. */
  async openapi(): Promise<Record<string, unknown>> {
    if (!this.doc) {
      const res = await this.raw('GET', '/api/openapi.json');
      assert.equal(res.status, 200);
      this.doc = res.json as Record<string, unknown>;
      this.ajv.addSchema({ ...this.doc, $id: 'openapi.json' });
    }
    return this.doc;
  }

  async get<T = unknown>(path: string, init: { auth?: boolean } = {}): Promise<ApiResult<T>> {
    return this.checked<T>('GET', path, undefined, init);
  }

  async post<T = unknown>(path: string, body?: unknown, init: { auth?: boolean } = {}): Promise<ApiResult<T>> {
    return this.checked<T>('POST', path, body, init);
  }

  /** A request without the OpenAPI check (for deliberately odd requests). */
  async raw<T = unknown>(method: string, path: string, init: RequestInit & { auth?: boolean } = {}): Promise<ApiResult<T>> {
    const headers = new Headers(init.headers);
    if (this.token && init.auth !== false) headers.set('authorization', `Bearer ${this.token}`);
    const res = await this.app.request(path, { ...init, method, headers });
    const text = await res.text();
    this.seen.push(text);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json: json as T, text };
  }

  /** Opens an SSE route; `next()` yields parsed events; `close()` cancels the stream. */
  async events(path: string): Promise<{ status: number; contentType: string; next(): Promise<{ event: string; data: unknown }>; close(): Promise<void> }> {
    const headers = new Headers(this.token ? { authorization: `Bearer ${this.token}` } : {});
    const res = await this.app.request(path, { headers });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    const next = async (): Promise<{ event: string; data: unknown }> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.startsWith(':')) continue;
          const event = /^event: ?(.*)$/m.exec(block)?.[1] ?? 'message';
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart()).join('\n');
          return { event, data: JSON.parse(data) as unknown };
        }
        const { value, done } = await reader.read();
        if (done) throw new Error(`event stream ${path} ended`);
        const chunk = decoder.decode(value, { stream: true });
        this.seen.push(chunk);
        buffer += chunk;
      }
    };
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', next, close: () => reader.cancel() };
  }

  /** Validates `value` against a component schema of the document (e.g. JobEvent). */
  async assertSchema(component: string, value: unknown): Promise<void> {
    await this.openapi();
    this.assertValid(`openapi.json#/components/schemas/${component}`, value, component);
  }

  private async checked<T>(method: 'GET' | 'POST', path: string, body: unknown, init: { auth?: boolean }): Promise<ApiResult<T>> {
    await this.openapi();
    const result = await this.raw<T>(method, path, {
      auth: init.auth,
      // Every POST carries a JSON body, as the console sends ({} where the route needs none): the API refuses others.
      ...((body !== undefined || method === 'POST') && { body: JSON.stringify(body ?? {}), headers: { 'content-type': 'application/json' } }),
    });
    this.assertDocumented(method, path, result);
    return result;
  }

  /** The answer's status is documented for this operation, and its body matches that schema. */
  private assertDocumented(method: string, path: string, result: ApiResult): void {
    const template = this.templateOf(path.split('?')[0]!);
    const op = ((this.doc!.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>)[template] ?? {})[method.toLowerCase()];
    assert.ok(op, `${method} ${template} is not in the OpenAPI document`);
    assert.ok(op.responses[String(result.status)], `${method} ${template} answered ${result.status}, which the document does not list: ${result.text}`);
    const pointer = `openapi.json#/paths/${escape(template)}/${method.toLowerCase()}/responses/${result.status}/content/application~1json/schema`;
    this.assertValid(pointer, result.json, `${method} ${path} → ${result.status}`);
  }

  private assertValid(ref: string, value: unknown, what: string): void {
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.compile({ $ref: ref });
      this.validators.set(ref, validate);
    }
    assert.ok(validate(value), `${what} does not match the OpenAPI document: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 2000)}`);
  }

  private templateOf(path: string): string {
    const paths = Object.keys(this.doc!.paths as object);
    const found = paths.find((t) => new RegExp(`^${t.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(path));
    return found ?? path;
  }
}

/** JSON pointer escaping for a path key (`/api/jobs/{id}` → `~1api~1jobs~1%7Bid%7D`). */
function escape(key: string): string {
  return encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1')).replace(/%7E/g, '~');
}
