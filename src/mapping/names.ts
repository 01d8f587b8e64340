/**
 * Milvus names: collection and field names must match `^[A-Za-z_][A-Za-z0-9_]*$` and be at most
 * 255 characters. Qdrant allows far more (hyphens, dots, unicode), so plan() sanitises every
 * default name it derives, and validates every name a user typed into a plan file (user input is
 * never silently rewritten: the user sees why it is refused and fixes it).
 */

export const MAX_NAME_LENGTH = 255;
export const NAME_RULE = '^[A-Za-z_][A-Za-z0-9_]*$, at most 255 characters';

/** Milvus's name for the dynamic field; a payload key with this name must move too. */
export const DYNAMIC_FIELD = '$meta';

const VALID_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// Global + unicode flag: one `_` per code point (an emoji is one character to the user, not two).
const INVALID_CHAR = /[^A-Za-z0-9_]/gu;

/**
 * A Milvus-valid name derived from any Qdrant name. Called by plan() for default target and field
 * names. Deterministic (same input, same output), so re-planning gives the same names:
 * - every character outside `[A-Za-z0-9_]` becomes `_` (`my-docs` → `my_docs`, `é` → `_`);
 * - a leading digit gets a `_` prefix (`1st` → `_1st`); an empty name becomes `_`;
 * - the result is cut to 255 characters.
 * Different inputs can collide (`a-b`, `a.b` → `a_b`); plan() reports such duplicates.
 */
export function sanitizeName(name: string): string {
  let out = name.replace(INVALID_CHAR, '_');
  if (out === '' || (out.charCodeAt(0) >= 48 && out.charCodeAt(0) <= 57)) out = `_${out}`;
  return out.length > MAX_NAME_LENGTH ? out.slice(0, MAX_NAME_LENGTH) : out;
}

/**
 * Checks a name a user wrote (plan file, CLI flag, console). Returns null when Milvus accepts it,
 * else the reason, phrased to follow "`name` is not a valid Milvus name: ".
 */
export function nameError(name: string): string | null {
  if (name.length === 0) return 'it is empty';
  if (name.length > MAX_NAME_LENGTH) return `it has ${name.length} characters (at most ${MAX_NAME_LENGTH})`;
  if (!VALID_NAME.test(name)) return `it must match ${NAME_RULE}`;
  return null;
}

/** True when Milvus accepts `name` as a collection or field name. */
export function isValidName(name: string): boolean {
  return nameError(name) === null;
}

/**
 * The name a payload key gets when it equals a schema field name (`id` → `payload_id`, then
 * `payload_id_2`, `payload_id_3`… while `taken` says the name is used). Called by plan() (to
 * report the rename) and by toRows() (to apply it), so both agree.
 */
export function clashFreeKey(key: string, taken: (name: string) => boolean): string {
  const base = `payload_${key}`;
  if (!taken(base)) return base;
  for (let i = 2; ; i++) {
    const candidate = `${base}_${i}`;
    if (!taken(candidate)) return candidate;
  }
}
