/**
 * Checking the endpoints a user types (source URL, target URI) before anything connects.
 *
 * `127.0.0.1:6333` is what people copy from a server's log, and both clients would fail on it
 * with "Invalid URL" (or, for `localhost:6333`, read `localhost:` as the scheme). We accept a bare
 * `host:port` as `http://host:port` and tell the caller so it can say it; anything else that is
 * not an http(s) URL with a host is refused with the reason and an example.
 */
import { configError, type MigrationError } from './errors.ts';

export interface EndpointRole {
  /** Error code stem, e.g. SOURCE_URL / TARGET_URI. */
  code: string;
  /** How the user gave it, for messages: `--source-url` / `QDRANT_URL`. */
  label: string;
  /** An example of a good value. */
  example: string;
}

export const SOURCE_ENDPOINT: EndpointRole = { code: 'SOURCE_URL', label: 'The Qdrant URL (--source-url / QDRANT_URL)', example: 'http://localhost:6333' };
export const TARGET_ENDPOINT: EndpointRole = { code: 'TARGET_URI', label: 'The Milvus URI (--target-uri / MILVUS_URI)', example: 'http://localhost:19530' };

export interface Endpoint {
  /** The URL to use: the input, with `http://` in front when it had no scheme. */
  url: string;
  /** Set when `http://` was assumed: the text to show the user. */
  notice?: string;
}

/** Normalises and checks one endpoint. Throws config `<code>_INVALID` naming the value and an example. */
export function checkEndpoint(raw: string, role: EndpointRole): Endpoint {
  const text = raw.trim();
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
  const url = hasScheme ? text : `http://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(raw, role, 'it is not a URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw invalid(raw, role, `its scheme is ${parsed.protocol.replace(/:$/, '')}, not http or https`);
  if (!parsed.hostname) throw invalid(raw, role, 'it names no host');
  if (hasScheme) return { url };
  return { url, notice: `${role.label} "${showable(text)}" has no scheme: using ${showable(url)}. Write https://… for TLS.` };
}

function invalid(raw: string, role: EndpointRole, reason: string): MigrationError {
  return configError(`${role.code}_INVALID`, `${role.label} "${showable(raw)}" cannot be used: ${reason}.`, `Pass a URL such as ${role.example} (or https://… for TLS).`);
}

/** The value with any `user:password@` replaced, so a credential typed into a URL is never echoed. */
function showable(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s]*@/i, (_m, scheme: string | undefined) => `${scheme ?? ''}***@`);
}
