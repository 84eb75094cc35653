/** Runs `medic` in-process through main(), capturing stdout/stderr. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll } from 'vitest';
import { main } from '../../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

export async function medic(args: string[], opts: { stdin?: string; cwd?: string } = {}): Promise<CliResult> {
  const out = sink();
  const err = sink();
  const code = await main(args, {
    stdout: out.stream,
    stderr: err.stream,
    stdin: Readable.from(opts.stdin === undefined ? [] : [opts.stdin]),
    env: {},
    cwd: opts.cwd ?? process.cwd(),
  });
  return { code, stdout: out.text(), stderr: err.text() };
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh temp dir with the given files (removed after the test file). */
export function tempFiles(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'medic-core-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

/** JSON Lines from objects. */
export function jsonl(lines: object[]): string {
  return `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`;
}
