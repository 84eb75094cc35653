/**
 * A small glob (node 20 has no fs.glob): `*` and `?` within one path segment, `[abc]` classes,
 * `**` for any number of folders. Patterns are relative to `base` unless absolute. Dotfiles
 * match only when the segment starts with `.`. Results are absolute, sorted, files only.
 * A folder that exists but cannot be read rejects (the caller reports an unreadable source).
 */
import { readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';

function segmentRegex(segment: string): RegExp {
  let re = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = segment.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        const body = segment
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const hasMagic = (s: string) => /[*?[]/.test(s);

async function entries(dir: string) {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
}

async function walk(dir: string, segments: string[], out: Set<string>): Promise<void> {
  if (segments.length === 0) return;
  const [head, ...rest] = segments as [string, ...string[]];
  if (head === '**') {
    await walk(dir, rest, out); // zero folders
    for (const e of await entries(dir)) {
      if (e.isDirectory() && !e.name.startsWith('.')) await walk(join(dir, e.name), segments, out);
    }
    return;
  }
  if (!hasMagic(head)) {
    const path = join(dir, head);
    if (rest.length > 0) return walk(path, rest, out);
    const parent = await entries(dir);
    if (parent.some((e) => e.name === head && !e.isDirectory())) out.add(path);
    return;
  }
  const re = segmentRegex(head);
  for (const e of await entries(dir)) {
    if (e.name.startsWith('.') && !head.startsWith('.')) continue;
    if (!re.test(e.name)) continue;
    const path = join(dir, e.name);
    if (rest.length > 0) {
      if (e.isDirectory()) await walk(path, rest, out);
    } else if (!e.isDirectory()) out.add(path);
  }
}

export async function glob(pattern: string, base: string): Promise<string[]> {
  const abs = isAbsolute(pattern) ? pattern : join(base, pattern);
  const segments = abs.split('/').filter(Boolean);
  const out = new Set<string>();
  await walk('/', segments, out);
  return [...out].sort();
}
