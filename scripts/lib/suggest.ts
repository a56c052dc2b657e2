// "Did you mean": the known name a typo most likely stands for.
import { distance } from 'fastest-levenshtein';

/** Case and '_' for '-' are the commonest slips: `Clean`, `sleep_in_atomic`. */
const normal = (s: string) => s.toLowerCase().replace(/_/g, '-');

/** The candidate `word` most likely meant, or null when none is close: the same name
 * but for case and '_'/'-', else the nearest within about a third of its length. */
export function closest(word: string, candidates: readonly string[]): string | null {
  const same = candidates.find((c) => normal(c) === normal(word));
  if (same !== undefined) return same;
  let best: string | null = null;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(normal(word), normal(c));
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** ` (did you mean 'x'?)`, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const c = closest(word, candidates);
  return c === null || c === word ? '' : ` (did you mean '${c}'?)`;
}
