import type { z } from 'zod';

type Schema = z.core.$ZodType;

function unwrap(s: Schema): Schema {
  let cur = s;
  while (cur._zod.def.type === 'optional' || cur._zod.def.type === 'nullable')
    cur = (cur._zod.def as unknown as { innerType: Schema }).innerType;
  return cur;
}

/** The keys an object of `schema` may have at `path` (a zod issue path), or [] when `path` is not an object. */
export function knownKeysAt(schema: Schema, path: readonly PropertyKey[]): string[] {
  let cur: Schema | undefined = unwrap(schema);
  for (const segment of path) {
    if (!cur) return [];
    const def = cur._zod.def as unknown as { type: string; element?: Schema; shape?: Record<string, Schema> };
    if (typeof segment === 'number') cur = def.type === 'array' && def.element ? unwrap(def.element) : undefined;
    else
      cur =
        def.type === 'object' && def.shape?.[String(segment)]
          ? unwrap(def.shape[String(segment)] as Schema)
          : undefined;
  }
  const shape = cur && (cur._zod.def as unknown as { type: string; shape?: Record<string, Schema> });
  return shape?.type === 'object' && shape.shape ? Object.keys(shape.shape) : [];
}

/** Edit distance counting a swap of two neighbours as one edit (`clientSecert` → `clientSecret` is 1). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      const prev = d[i - 1] as number[];
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  return (d[a.length] as number[])[b.length] as number;
}

/**
 * The known key an unknown one was probably meant to be: the same word in another case (`clientId`), or the nearest
 * within about one typo per four characters. Undefined when nothing is close, so a wild guess is never offered.
 */
export function closestKey(unknown: string, known: readonly string[]): string | undefined {
  const lower = unknown.toLowerCase();
  const sameWord = known.find((k) => k.toLowerCase() === lower);
  if (sameWord) return sameWord;
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(lower, k.toLowerCase());
    if (d <= Math.max(1, Math.floor(Math.min(unknown.length, k.length) / 4)) && (!best || d < best.d))
      best = { key: k, d };
  }
  return best?.key;
}
