/**
 * Seals credentials (Qdrant API key, Milvus token) before they reach the job database, with
 * AES-256-GCM. The key comes from env QDRANT2MILVUS_SECRET_KEY (base64 or hex of 32 bytes), else
 * from `<dataDir>/secret.key`, created 0600 on first use.
 *
 * Envelope: `v1:<iv>:<tag>:<ciphertext>`, each part base64. `v1` leaves room for a new algorithm
 * or key id without guessing the format of old rows. The optional `context` is authenticated
 * (AAD) but not stored: a store passes e.g. `<jobId>:apiKey`, so a sealed value copied to another
 * job or column fails to open instead of leaking the wrong credential.
 *
 * Error messages never contain a secret, a key, or a sealed value.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../core/errors.ts';

export const SECRET_KEY_ENV = 'QDRANT2MILVUS_SECRET_KEY';
export const SECRET_KEY_FILE = 'secret.key';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const VERSION = 'v1';

export interface SecretKey {
  key: Buffer;
  /** Where the key came from, for error messages: the env var name or the key file path. */
  origin: string;
}

/** Parses a 32-byte key written as hex (64 chars) or base64 (44 chars, or 43 unpadded). */
export function parseKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (!/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) return undefined;
  const key = Buffer.from(t, t.includes('-') || t.includes('_') ? 'base64url' : 'base64');
  return key.length === KEY_BYTES ? key : undefined;
}

/**
 * The key to use: env QDRANT2MILVUS_SECRET_KEY if set, else `<dataDir>/secret.key` (created if
 * absent). Called lazily by JobStore the first time it seals or opens a credential.
 * Throws config SECRET_KEY_INVALID (malformed env/file) or SECRET_KEY_FILE_PERMISSIONS.
 */
export function loadSecretKey(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretKey {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv) {
    const key = parseKey(fromEnv);
    if (!key) {
      throw configError(
        'SECRET_KEY_INVALID',
        `${SECRET_KEY_ENV} is not a 32-byte key in base64 or hex (it has ${fromEnv.trim().length} characters).`,
        `Set ${SECRET_KEY_ENV} to the output of \`openssl rand -base64 32\`, or unset it to use ${join(dataDir, SECRET_KEY_FILE)}.`,
      );
    }
    return { key, origin: SECRET_KEY_ENV };
  }
  return loadKeyFile(join(dataDir, SECRET_KEY_FILE));
}

function loadKeyFile(path: string): SecretKey {
  createKeyFileIfAbsent(path);
  const mode = statSync(path).mode;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw configError(
      'SECRET_KEY_FILE_PERMISSIONS',
      `The key file ${path} is readable by other users (mode ${(mode & 0o777).toString(8)}), so it no longer protects the stored credentials.`,
      `Run \`chmod 600 ${path}\`.`,
    );
  }
  const key = parseKey(readFileSync(path, 'utf8'));
  if (!key) {
    throw configError(
      'SECRET_KEY_INVALID',
      `The key file ${path} does not hold a 32-byte key in base64 or hex.`,
      `Restore the original file, or set ${SECRET_KEY_ENV}.`,
    );
  }
  return { key, origin: path };
}

// Written to a private temp file, then hard-linked into place: link() fails if the name exists,
// so when two processes race to create the key exactly one wins, the other reads the winner's
// key, and nobody ever reads a half-written file.
function createKeyFileIfAbsent(path: string): void {
  if (existsSync(path)) return;
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(KEY_BYTES).toString('base64')}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    linkSync(tmp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw configError('SECRET_KEY_FILE', `Cannot create the key file ${path}.`, `Make the data directory writable, or set ${SECRET_KEY_ENV}.`, e);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
}

/** Seals and opens credentials with one key. Built by JobStore; nothing else needs one. */
export class SecretBox {
  readonly #key: Buffer;
  readonly #origin: string;

  constructor(secretKey: SecretKey) {
    if (secretKey.key.length !== KEY_BYTES) throw configError('SECRET_KEY_INVALID', `The secret key must be ${KEY_BYTES} bytes.`);
    this.#key = secretKey.key;
    this.#origin = secretKey.origin;
  }

  /** Encrypts `plaintext`; a fresh random IV each call, so equal inputs seal differently. */
  seal(plaintext: string, context = ''): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), ct.toString('base64')].join(':');
  }

  /**
   * Decrypts a value made by seal() with the same key and context. Throws config
   * SECRET_KEY_MISMATCH when authentication fails (the key changed, or the value was tampered
   * with or moved), and config SECRET_SEALED_INVALID when the envelope is not one we wrote.
   */
  open(sealed: string, context = ''): string {
    const parts = sealed.split(':');
    if (parts.length !== 4 || parts[0] !== VERSION) {
      throw configError('SECRET_SEALED_INVALID', `A stored credential is not in the ${VERSION} sealed format.`, 'Re-create the job.');
    }
    const [, iv, tag, ct] = parts.map((p) => Buffer.from(p, 'base64')) as [Buffer, Buffer, Buffer, Buffer];
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, iv);
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
    } catch (cause) {
      throw configError(
        'SECRET_KEY_MISMATCH',
        `Cannot decrypt a stored credential with the key from ${this.#origin}: the key changed since the job was created.`,
        `Set ${SECRET_KEY_ENV} (or restore ${SECRET_KEY_FILE}) to the original key, or re-create the job.`,
        cause,
      );
    }
  }
}
