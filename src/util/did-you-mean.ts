/** The closest candidate within two edits (case-insensitive), for "did you mean" hints. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of candidates) {
    const distance = editDistance(input.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Throws, through `fail`, at the first key of `options` that is not `known`: a removed option with
 * what replaced it, otherwise "unknown option" with a "did you mean" hint. `prefix` names the
 * option's parent in messages (`"allow."`).
 */
export function rejectUnknownKeys(
  options: object,
  known: readonly string[],
  fail: (message: string) => never,
  { prefix = "", removed = {} }: { prefix?: string; removed?: Readonly<Record<string, string>> } = {},
): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(removed, key)) fail(removed[key] as string);
    if (!known.includes(key)) {
      const hint = didYouMean(key, known);
      fail(`unknown option "${prefix}${key}".${hint ? ` Did you mean "${prefix}${hint}"?` : ""}`);
    }
  }
}
