/**
 * The store's side of credentials: seals them for one job's columns, unseals them for the
 * engine, and remembers what it unsealed so error messages written later can be scrubbed.
 * The key is loaded on first use, so jobs without credentials never need one.
 */
import { configError, isMigrationError, redact } from '../core/errors.ts';
import { userinfoSecrets, withUserinfo } from '../core/url-credentials.ts';
import { loadSecretKey, SecretBox, type SecretKey } from './secrets.ts';

export interface Secrets {
  apiKey?: string;
  token?: string;
  /** `user:password` of the source URL / target URI (see core/url-credentials.ts). */
  sourceUserinfo?: string;
  targetUserinfo?: string;
}

export interface SealedSecrets {
  apiKey: string | null;
  token: string | null;
  sourceUserinfo: string | null;
  targetUserinfo: string | null;
}

const FIELDS = ['apiKey', 'token', 'sourceUserinfo', 'targetUserinfo'] as const;

export class JobSecrets {
  readonly #dataDir: string;
  readonly #env: NodeJS.ProcessEnv;
  #key: SecretKey | undefined;
  #box: SecretBox | undefined;
  /** Plaintext credentials this process has unsealed, by job id. */
  readonly #known = new Map<string, string[]>();

  constructor(dataDir: string, env: NodeJS.ProcessEnv, key?: SecretKey) {
    this.#dataDir = dataDir;
    this.#env = env;
    this.#key = key;
  }

  /** Seals a job's credentials; the job id and column are bound in as AAD. */
  seal(jobId: string, secrets: Secrets): SealedSecrets {
    const sealed: SealedSecrets = { apiKey: null, token: null, sourceUserinfo: null, targetUserinfo: null };
    for (const field of FIELDS) {
      const plain = secrets[field];
      if (plain) sealed[field] = this.#secretBox().seal(plain, `${jobId}:${field}`);
    }
    return sealed;
  }

  /** Unseals; throws config SECRET_KEY_MISMATCH (and friends) with the job id in the message. */
  open(jobId: string, sealed: SealedSecrets): Secrets {
    try {
      const out: Secrets = {};
      for (const field of FIELDS) {
        const value = sealed[field];
        if (value) out[field] = this.#secretBox().open(value, `${jobId}:${field}`);
      }
      this.#known.set(jobId, knownForms(out));
      return out;
    } catch (e) {
      if (!isMigrationError(e)) throw e;
      throw configError(e.code, `Job ${jobId}: ${e.message}`, e.fix, e);
    }
  }

  /**
   * Replaces the job's credentials in `text` with ***. Best effort by design: it knows only what
   * this process unsealed (the engine always has), and callers should redact at the source too.
   */
  scrub(jobId: string, text: string): string {
    return redact(text, this.#known.get(jobId) ?? []);
  }

  forget(jobId: string): void {
    this.#known.delete(jobId);
  }

  /** Remembers credentials this process holds in plaintext (legacy rows: read from the stored URL). */
  remember(jobId: string, secrets: Secrets): void {
    this.#known.set(jobId, knownForms(secrets));
  }

  #secretBox(): SecretBox {
    this.#key ??= loadSecretKey(this.#dataDir, this.#env);
    this.#box ??= new SecretBox(this.#key);
    return this.#box;
  }
}

/** Every text form of the credentials, for scrub(): a URL's password also alone and encoded. */
function knownForms(s: Secrets): string[] {
  const forms = [s.apiKey, s.token, ...[s.sourceUserinfo, s.targetUserinfo].flatMap((u) => (u ? userinfoSecrets(withUserinfo('http://h', u)) : []))];
  return forms.filter((f): f is string => !!f);
}
