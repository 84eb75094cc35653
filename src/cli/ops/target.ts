/**
 * Where and as whom the operator commands talk: `--url` or MEDIC_URL (default
 * http://127.0.0.1:4000), and the token from `--token-file FILE` or MEDIC_TOKEN.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadEnv } from '../../config/env.js';
import { type CliIo, UsageError } from '../io.js';
import type { OpsTarget } from './client.js';

export interface TargetFlags {
  url?: string;
  tokenFile?: string;
}

export async function targetOf(flags: TargetFlags, io: CliIo): Promise<OpsTarget> {
  const env = loadEnv(io.env);
  const url = (flags.url ?? env.MEDIC_URL).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL (got '${url}')`);
  let token = env.MEDIC_TOKEN;
  if (flags.tokenFile) {
    try {
      token = (await readFile(resolve(io.cwd, flags.tokenFile), 'utf8')).trim();
    } catch (err) {
      throw new UsageError(
        `cannot read --token-file ${flags.tokenFile}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
  }
  if (!token) {
    throw new UsageError(
      'no token: set MEDIC_TOKEN or pass --token-file FILE (create one: medic token create --name me --role operator)',
    );
  }
  // The config checked MEDIC_HUB_CA is a readable PEM file.
  const ca = env.MEDIC_HUB_CA && url.startsWith('https:') ? await readFile(env.MEDIC_HUB_CA) : undefined;
  return { url, token, ...(ca ? { ca } : {}) };
}
