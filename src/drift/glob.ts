/**
 * Globbing for the repo drift source, through tinyglobby (picomatch syntax): `*`, `?`, `[abc]`,
 * braces `{service,timer}` and ranges `{1..3}`, `**` for any number of folders, extglobs such as
 * `!(x).sh` and `@(a|b)`. Patterns are relative to `base` unless absolute. Dotfiles match only
 * when the pattern names them. Results are absolute, sorted, files only.
 * `ignore` takes the group's negated patterns (`!deploy/old/*` in the contract, without the `!`).
 * A folder that cannot be read yields no match (reported as a "no match" warning by the caller).
 */
import { glob as tinyglob } from 'tinyglobby';

export async function glob(pattern: string, base: string, ignore: readonly string[] = []): Promise<string[]> {
  const files = await tinyglob(pattern, {
    cwd: base,
    absolute: true,
    onlyFiles: true,
    dot: false,
    expandDirectories: false,
    followSymbolicLinks: true,
    ignore: [...ignore],
  });
  return files.sort();
}

/** Splits a contract's pattern list into positive patterns (with their index) and negations. */
export function splitNegations(patterns: readonly string[]): {
  positive: { index: number; pattern: string }[];
  ignore: string[];
} {
  const positive: { index: number; pattern: string }[] = [];
  const ignore: string[] = [];
  patterns.forEach((pattern, index) => {
    // `!(x)` is an extglob (matches anything but x), not a negation of the whole pattern.
    if (pattern.startsWith('!') && !pattern.startsWith('!(')) ignore.push(pattern.slice(1));
    else positive.push({ index, pattern });
  });
  return { positive, ignore };
}
