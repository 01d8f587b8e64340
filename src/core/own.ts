/**
 * Object keys that come from the source (payload keys, vector names, collection names in plan
 * overrides) are data, never object machinery. `obj[key] = value` breaks that for one key:
 * `__proto__` calls the inherited setter, so `{"__proto__": {...}}` silently becomes the object's
 * prototype and the key is gone (issue 13, defect 1). `obj[key]` reads break it for every inherited
 * name: `constructor` on an object without that key reads Object itself.
 * These two helpers are the only way source keys are written and read in place of `[]`.
 */

/** `obj[key] = value` as an own, enumerable data property, for every key including `__proto__`. */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** `obj[key]` when `key` is the object's own property; undefined for inherited names. */
export function getOwn<T>(obj: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}
