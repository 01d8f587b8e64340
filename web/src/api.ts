/**
 * The console's only way to the server: JSON over /api, same origin. Credentials the user typed
 * (source API key, target token) live in memory only and go out in request bodies; the access
 * token (when the server needs one) is kept for this browser tab in sessionStorage.
 */
import type { ErrorView, ProblemView } from '../../src/api/schemas/responses.ts';

const TOKEN_KEY = 'qdrant2milvus.accessToken';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fix: string | undefined;
  readonly fields: Array<{ path: string; message: string }>;
  readonly problems: ProblemView[];

  constructor(status: number, body: Partial<ErrorView> | undefined) {
    const e = body?.error;
    super(e?.message ?? `The server answered HTTP ${status}.`);
    this.status = status;
    this.code = e?.code ?? `HTTP_${status}`;
    this.fix = e?.fix;
    this.fields = e?.fields ?? [];
    this.problems = e?.problems ?? [];
  }
}

let onUnauthorized: () => void = () => undefined;

/** The app shows the access-token form when the server says 401. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

export function setAccessToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function authHeaders(): Record<string, string> {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(`api${path}`, {
      method,
      headers: { ...authHeaders(), ...(body !== undefined || method === 'POST' ? { 'Content-Type': 'application/json' } : {}) },
      body: method === 'POST' ? JSON.stringify(body ?? {}) : undefined,
    });
  } catch {
    throw new ApiError(0, { error: { code: 'SERVER_UNREACHABLE', message: 'The qdrant2milvus server does not answer.', fix: 'Check that `qdrant2milvus serve` is still running.' } });
  }
  const json: unknown = await res.json().catch(() => undefined);
  if (res.status === 401) onUnauthorized();
  if (!res.ok) throw new ApiError(res.status, json as Partial<ErrorView> | undefined);
  return json as T;
}

export const api = {
  get: <T>(path: string) => request<T>('GET', path),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body),
};
