/**
 * Reads a policy file (a single policy, or a runtime contract's `policies:` map) for the
 * `medic policy` commands. The parsing itself is pure (core/policy-file.ts); this only does fs.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { ParseResult } from '../../core/policy.js';
import { type PolicyDocument, parsePolicyText } from '../../core/policy-file.js';

export async function loadPolicyFile(file: string, cwd: string): Promise<ParseResult<PolicyDocument>> {
  let text: string;
  try {
    text = await readFile(resolve(cwd, file), 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return { ok: false, problems: [{ path: '(file)', message: `cannot read ${file}: ${code}` }] };
  }
  return parsePolicyText(text);
}
