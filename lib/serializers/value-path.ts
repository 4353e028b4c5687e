/** A part of a value, and where it sits. */
export interface FoundPart {
  readonly part: unknown;
  /** `value`, `value.items[3]`, … */
  readonly path: string;
}

/**
 * The first part of a value that `isTarget` accepts, and where it sits, written as code would reach it:
 * `value.items[3]`, `value["first name"]`, `value.tags.get("a")`. Run after an encoder has refused
 * something, or (for JSON) when its output holds a `null` that may stand for a lost value; so the
 * common write never pays for a second walk. The walk builds no path text until it finds the part.
 *
 * @param json - walk as `JSON.stringify` does: `toJSON()` results instead of the objects (but the
 *   objects are offered to `isTarget` first: an invalid Date's `toJSON()` is `null`), and no look
 *   inside `Map`s and `Set`s, which JSON writes as `{}`.
 * @returns the part and its path, or `undefined` when no part is accepted.
 */
export function findPart(
  root: unknown,
  isTarget: (part: unknown) => boolean,
  json = false,
): FoundPart | undefined {
  let target: unknown;
  const accept = (part: unknown): boolean => isTarget(part) && ((target = part), true);
  // A cycle (which the encoders refuse anyway) must not make the search loop.
  const seen = new Set<object>();
  // Segments of the path from the part found up to the root, or undefined.
  const visit = (part: unknown, key: string): string[] | undefined => {
    if (accept(part)) return [];
    if (typeof part !== 'object' || part === null) return undefined;
    if (json && typeof (part as { toJSON?: unknown }).toJSON === 'function') {
      part = (part as { toJSON(key: string): unknown }).toJSON(key);
      if (accept(part)) return [];
      if (typeof part !== 'object' || part === null) return undefined;
    }
    if (seen.has(part)) return undefined;
    seen.add(part);
    if (Array.isArray(part)) {
      for (let i = 0; i < part.length; i++) {
        const found = visit(part[i], String(i));
        if (found !== undefined) return (found.push(`[${i}]`), found);
      }
      return undefined;
    }
    if (!json && part instanceof Map) {
      let i = 0;
      for (const [k, v] of part) {
        const inKey = visit(k, '');
        if (inKey !== undefined) return (inKey.push(`.keys()[${i}]`), inKey);
        const inValue = visit(v, '');
        if (inValue !== undefined) return (inValue.push(`.get(${label(k)})`), inValue);
        i++;
      }
      return undefined;
    }
    if (!json && part instanceof Set) {
      let i = 0;
      for (const item of part) {
        const found = visit(item, '');
        if (found !== undefined) return (found.push(`.values()[${i}]`), found);
        i++;
      }
      return undefined;
    }
    if (ArrayBuffer.isView(part)) return undefined;
    for (const name of Object.keys(part)) {
      const found = visit((part as Record<string, unknown>)[name], name);
      if (found !== undefined) return (found.push(property(name)), found);
    }
    return undefined;
  };
  const found = visit(root, '');
  return found === undefined ? undefined : { part: target, path: `value${found.reverse().join('')}` };
}

/** `" at value.items[3]"`, or nothing when the part is the whole value. */
export function atPath(path: string): string {
  return path === 'value' ? '' : ` at ${path}`;
}

function property(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

function label(key: unknown): string {
  if (typeof key === 'string') return JSON.stringify(key.length > 40 ? `${key.slice(0, 37)}...` : key);
  if (typeof key === 'number' || typeof key === 'boolean') return String(key);
  if (typeof key === 'bigint') return `${key}n`;
  return '…';
}
