/**
 * A host as a team that adopts medic has it: a conda root (real folder, plus a symlink to it),
 * environments with `bin/python` → this machine's python3, and systemd user units that run
 * Python in the shapes found in the wild. Used by the contract-init, install and adoption tests
 * and by bench/adopt.bench.ts.
 */
import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { makeCondaEnv, REAL_PYTHON } from '../contract/helpers.js';
import { installUnit, systemctl } from './systemd.js';

/** A tiny HTTP app: 200 on /healthz, 404 elsewhere; port from `--port N` or $PORT. */
export const APP_PY = `import http.server, os, sys
port = int(sys.argv[sys.argv.index('--port') + 1]) if '--port' in sys.argv else int(os.environ['PORT'])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200 if self.path == '/healthz' else 404)
        self.end_headers()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(('127.0.0.1', port), H).serve_forever()
`;

/** Stand-in for conda's own \`conda run [-n ENV|-p PREFIX] [--flags] PROGRAM ARGS…\`. */
const FAKE_CONDA = `#!/bin/sh
[ "$1" = run ] || { echo "this test conda only knows 'run'" >&2; exit 2; }
shift
prefix=$(dirname "$(dirname "$0")")
while [ $# -gt 0 ]; do
  case "$1" in
    -n|--name) [ "$2" = base ] || prefix="$prefix/envs/$2"; shift 2 ;;
    -p|--prefix) prefix="$2"; shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
p=$1; shift
case "$p" in */*) ;; *) p="$prefix/bin/$p" ;; esac
CONDA_PREFIX="$prefix" exec "$p" "$@"
`;

export interface CondaHost {
  /** The real root (`<dir>/miniconda3`) and a symlink to it (`<dir>/conda`). */
  root: string;
  linkedRoot: string;
  /** `<root>/envs/shop`. */
  prefix: string;
  appDir: string;
  app: string;
}

/** A free TCP port on loopback (closed again before returning). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The conda layout: base env with conda-meta and `bin/conda`, envs `shop` and `ml`, the app. */
export async function makeCondaHost(dir: string): Promise<CondaHost> {
  const root = join(dir, 'miniconda3');
  const prefix = await makeCondaEnv(root, 'shop');
  await makeCondaEnv(root, 'ml');
  await mkdir(join(root, 'conda-meta'), { recursive: true });
  await mkdir(join(root, 'bin'), { recursive: true });
  await symlink(REAL_PYTHON, join(root, 'bin', 'python'));
  await writeFile(join(root, 'bin', 'conda'), FAKE_CONDA);
  await chmod(join(root, 'bin', 'conda'), 0o755);
  await symlink(root, join(dir, 'conda'));
  const appDir = join(dir, 'app');
  await mkdir(appDir, { recursive: true });
  await writeFile(join(appDir, 'app.py'), APP_PY);
  // An entry-point script as conda/pip install them: #! names the env's interpreter.
  await writeFile(
    join(prefix, 'bin', 'shop-worker'),
    `#!${prefix}/bin/python\nimport time\nwhile True:\n    time.sleep(3600)\n`,
  );
  await chmod(join(prefix, 'bin', 'shop-worker'), 0o755);
  return { root, linkedRoot: join(dir, 'conda'), prefix, appDir, app: join(appDir, 'app.py') };
}

export interface UnitShape {
  /** Suffix of the unit name. */
  shape: string;
  /** `[Service]` lines. */
  service: string[];
  /** The port its app listens on (answers /healthz), if any. */
  port?: number;
  /** Expected in the contract (true) or left out with a reason (false). */
  included: boolean;
}

/** The conda shapes of issue 19 (each included in the contract), by kind. */
export const CONDA_KINDS = [
  'direct',
  'condarun',
  'env',
  'symlinked',
  'envfile',
  'dollar',
  'script',
  'base',
] as const;
export type CondaKind = (typeof CONDA_KINDS)[number];

/** One unit of a conda kind; `port` is where its app listens (script and base run no app). */
export async function condaShape(
  kind: CondaKind,
  host: CondaHost,
  dir: string,
  port: number,
  shape: string = kind,
): Promise<UnitShape> {
  const { prefix, root, linkedRoot, app, appDir } = host;
  switch (kind) {
    case 'direct':
      return {
        shape,
        service: [
          `ExecStart=${prefix}/bin/python ${app} --port ${port}`,
          `WorkingDirectory=${appDir}`,
          'Environment=SHOP_MODE=prod SHOP_API_TOKEN=s3cret',
        ],
        port,
        included: true,
      };
    case 'condarun':
      return {
        shape,
        service: [`ExecStart=${root}/bin/conda run -n shop --no-capture-output python ${app} --port ${port}`],
        port,
        included: true,
      };
    case 'env':
      return {
        shape,
        service: [
          `ExecStart=/usr/bin/env python ${app}`,
          `Environment=PATH=${prefix}/bin:/usr/bin:/bin PORT=${port}`,
        ],
        port,
        included: true,
      };
    case 'symlinked':
      return {
        shape,
        service: [`ExecStart=${linkedRoot}/envs/shop/bin/python ${app} --port ${port}`],
        port,
        included: true,
      };
    case 'envfile': {
      const envFile = join(dir, `${shape}.env`);
      await writeFile(
        envFile,
        `# written by the deploy\nCONDA_PREFIX=${prefix}\nPATH=${prefix}/bin:/usr/bin:/bin\nPORT=${port}\nDB_PASSWORD="not for the contract"\n`,
      );
      return {
        shape,
        service: [`EnvironmentFile=${envFile}`, `ExecStart=${prefix}/bin/python ${app}`],
        port,
        included: true,
      };
    }
    case 'dollar':
      return {
        shape,
        service: [
          `ExecStart=${prefix}/bin/python ${app} --port \${APP_PORT}`,
          `Environment=APP_PORT=${port}`,
        ],
        port,
        included: true,
      };
    case 'script':
      return { shape, service: [`ExecStart=${prefix}/bin/shop-worker`], included: true };
    case 'base':
      return {
        shape,
        service: [`ExecStart=${root}/bin/python -c "import time; time.sleep(1e6)"`],
        included: true,
      };
  }
}

/** The unit shapes of issue 19, each on its own port, plus units that must be left out. */
export async function unitShapes(host: CondaHost, dir: string): Promise<UnitShape[]> {
  const shapes: UnitShape[] = [];
  for (const kind of CONDA_KINDS) shapes.push(await condaShape(kind, host, dir, await freePort()));
  return [
    ...shapes,
    { shape: 'shell', service: ["ExecStart=/bin/sh -c 'exec sleep 1000000'"], included: false },
    {
      shape: 'system',
      service: [`ExecStart=${REAL_PYTHON} -c "import time; time.sleep(1e6)"`],
      included: false,
    },
  ];
}

/** `n` conda units cycling through the kinds, `<kind>-<i>`, each app on its own port. */
export async function manyCondaUnits(host: CondaHost, dir: string, n: number): Promise<UnitShape[]> {
  const out: UnitShape[] = [];
  for (let i = 0; i < n; i++) {
    const kind = CONDA_KINDS[i % CONDA_KINDS.length]!;
    out.push(await condaShape(kind, host, dir, await freePort(), `${kind}-${i}`));
  }
  return out;
}

export function unitText(shape: UnitShape): string {
  return [
    '[Unit]',
    `Description=adoption test unit (${shape.shape})`,
    '[Service]',
    ...shape.service,
    '',
  ].join('\n');
}

/** Installs and starts the units, then waits until each app answers /healthz. */
export async function startUnits(tag: string, shapes: UnitShape[]): Promise<string[]> {
  const names = shapes.map((s) => `${tag}-${s.shape}.service`);
  for (const [i, s] of shapes.entries()) await installUnit(names[i]!, unitText(s));
  await systemctl('start', ...names);
  for (const s of shapes) if (s.port) await waitHealthy(`http://127.0.0.1:${s.port}/healthz`);
  return names;
}

export async function waitHealthy(url: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} did not answer 2xx within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
