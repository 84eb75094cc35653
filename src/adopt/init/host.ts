/**
 * The real `InitHost`: the filesystem, the interpreter's own report of its version (the same
 * call the drift check makes), and an HTTP GET with a short timeout for health proposals.
 */
import { access, constants, open, readdir, stat } from 'node:fs/promises';
import { realpathLoose } from '../../contract/normalize.js';
import { pythonVersion } from '../../drift/fs.js';
import type { InitHost } from './types.js';

const READ_LIMIT = 64 * 1024;

async function readHead(path: string): Promise<string | null> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(READ_LIMIT);
      const { bytesRead } = await fh.read(buf, 0, READ_LIMIT, 0);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
}

export function realHost(opts: { httpTimeoutMs?: number } = {}): InitHost {
  const timeout = opts.httpTimeoutMs ?? 1000;
  return {
    realpath: realpathLoose,
    async isDir(path) {
      return stat(path).then(
        (s) => s.isDirectory(),
        () => false,
      );
    },
    async isExecutable(path) {
      try {
        if (!(await stat(path)).isFile()) return false;
        await access(path, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    },
    readText: readHead,
    async listDir(path) {
      return readdir(path).catch(() => []);
    },
    async pythonVersion(python) {
      return pythonVersion(python).catch(() => null);
    },
    async httpStatus(url) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeout), redirect: 'manual' });
        await res.arrayBuffer().catch(() => undefined);
        return res.status;
      } catch {
        return null;
      }
    },
  };
}
