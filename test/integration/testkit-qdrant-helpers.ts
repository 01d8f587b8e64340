/** Shared by the testkit-qdrant integration tests: a lossless REST caller. */
import { parseJson, stringifyJson } from '../../testkit/qdrant/json.ts';

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  /** Lossless parse (bigints above 2^53); undefined for non-JSON bodies. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience
}

export function restCaller(baseUrl: string, defaultHeaders: Record<string, string> = {}) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<CallResult> => {
    const res = await fetch(baseUrl + path, {
      method,
      headers: { 'content-type': 'application/json', ...defaultHeaders, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : stringifyJson(body),
    });
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.startsWith('application/json') ?? false;
    return { status: res.status, headers: res.headers, text, json: isJson ? parseJson(text) : undefined };
  };
}
