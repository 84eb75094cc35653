/**
 * Benches that run `bin/medic.mjs` as a child process measure the installed form: compiled dist/.
 * The bin falls back to transpiling the TypeScript sources through tsx whenever a source is newer
 * than the build, which costs seconds of CPU and ~60 MB of RSS, so a stale build silently turns a
 * start-up figure into a tsx figure. `ensureDist()` builds once per bench run (unless
 * MEDIC_FROM_SOURCE=1 asks for the sources) and returns the mode to print beside the figures.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/paths.js';

let built = false;

export function ensureDist(): string {
  if (process.env.MEDIC_FROM_SOURCE === '1') return 'sources through tsx (MEDIC_FROM_SOURCE=1)';
  if (!built) {
    execFileSync(
      process.execPath,
      [join(PACKAGE_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: PACKAGE_ROOT,
        stdio: 'inherit',
      },
    );
    built = true;
  }
  return 'compiled dist/ (built at the start of this run; do not edit sources while it runs)';
}
