/** "did you mean" hints by edit distance (Levenshtein, insert/delete/substitute cost 1). */

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] ?? 0;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j] ?? 0;
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      prev[j] = Math.min(up + 1, (prev[j - 1] ?? 0) + 1, diag + cost);
      diag = up;
    }
  }
  return prev[b.length] ?? 0;
}

/** The closest candidate within a distance of max(2, len/3), or undefined. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(2, Math.floor(word.length / 3));
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) {
      best = c;
      bestD = d;
    }
  }
  return bestD <= limit ? best : undefined;
}

/** The parenthesised "expected" part for a bad name: a hint or the list of valid names. */
export function expectedName(word: string, candidates: readonly string[], what: string): string {
  const c = closest(word, candidates);
  if (c !== undefined) return `did you mean "${c}"?`;
  if (candidates.length === 0) return `no ${what} is defined`;
  return `expected one of: ${candidates.join(', ')}`;
}
