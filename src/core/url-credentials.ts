/**
 * Credentials written into a URL (`http://user:password@host:6333`): a secret like an API key.
 *
 * Where they go: the Qdrant REST reader sends them as HTTP Basic auth (a proxy in front of Qdrant
 * asks for it; fetch refuses a URL that carries them), and the Milvus sink uses them as its
 * `user:password` token when no token is given. Where they never go: the job database in plain
 * text (the store keeps the URL without them and seals them with the other secrets), a plan,
 * an API response, a log line or an error message (redact() masks any that slip through).
 */

export interface SplitUrl {
  /** The URL without `user:password@`. */
  url: string;
  /** `user:password` (percent-decoded), or `user` alone; undefined when the URL had none. */
  userinfo?: string;
}

/** Splits `user:password@` off an absolute URL. Text that is not a URL comes back as is. */
export function splitUserinfo(text: string): SplitUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { url: text };
  }
  if (!u.username && !u.password) return { url: text };
  const userinfo = decodeURIComponent(u.username) + (u.password ? `:${decodeURIComponent(u.password)}` : '');
  // Cut the userinfo out of the text itself rather than re-serialise: new URL() would also add a
  // trailing slash and normalise the rest, and the stored URL should stay as the user wrote it.
  // The authority ends at the first / ? # after `//`; its last @ ends the userinfo (as in the URL
  // parser, so an unencoded @ in a password stays in the password).
  const start = text.indexOf('//') + 2;
  const end = text.slice(start).search(/[/?#\\]/);
  const at = text.lastIndexOf('@', end < 0 ? text.length : start + end);
  return { url: text.slice(0, start) + text.slice(at + 1), userinfo };
}

/** Puts `user:password` back into a URL (percent-encoded): what a job connects with. */
export function withUserinfo(url: string, userinfo: string | undefined): string {
  if (!userinfo) return url;
  const sep = url.indexOf('//');
  if (sep < 0) return url;
  const colon = userinfo.indexOf(':');
  const user = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const enc = encodeURIComponent(user) + (colon < 0 ? '' : `:${encodeURIComponent(userinfo.slice(colon + 1))}`);
  return `${url.slice(0, sep + 2)}${enc}@${url.slice(sep + 2)}`;
}

/** `Authorization` header value for HTTP Basic auth from `user:password`. */
export function basicAuthorization(userinfo: string): string {
  return `Basic ${Buffer.from(userinfo, 'utf8').toString('base64')}`;
}

/**
 * Every form in which a URL's credentials may show up in text (raw, percent-decoded, the
 * password alone), for redact(). Empty when the URL has none.
 */
export function userinfoSecrets(text: string | undefined): string[] {
  if (!text) return [];
  const { userinfo } = splitUserinfo(text);
  if (!userinfo) return [];
  const u = new URL(text);
  const password = userinfo.includes(':') ? userinfo.slice(userinfo.indexOf(':') + 1) : '';
  const raw = u.password ? [u.password, `${u.username}:${u.password}`] : [u.username];
  return [...new Set([userinfo, password, ...raw].filter((s) => s.length > 0))];
}

/** Masks the userinfo of every URL in free text: `http://u:p@h` → `http://***@h`. */
export function maskUrlUserinfo(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#]+@/gi, '$1***@');
}
