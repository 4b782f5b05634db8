import { ArgumentError } from '@varia/core';

/** Levenshtein distance between two short strings (option names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * The known name closest to `name` (case-insensitive edit distance at most ⌈length/3⌉, or one a prefix of the other),
 * for a "did you mean" hint; undefined when none is close.
 */
export function closestName(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    const d = c.startsWith(lower) || lower.startsWith(c) ? 0.5 : editDistance(lower, c);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.ceil(name.length / 3)) ? best : undefined;
}

/**
 * Checks that `value` is a plain options object whose keys are all in `known`.
 * @throws ArgumentError naming `argument` when it is not an object, or naming the unknown key, with "did you mean".
 */
export function assertOptions(
  value: unknown,
  known: readonly string[],
  where: string,
  argument = 'options',
): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArgumentError(
      argument,
      `${where}: "${argument}" must be an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const hint = closestName(key, known);
    throw new ArgumentError(
      key,
      `${where}: unknown option "${key}"${hint ? ` (did you mean '${hint}'?)` : ''}; known options: ${known.join(', ')}`,
    );
  }
}
