/**
 * A port the service listens on, named by its command line or environment, turned into a
 * health URL proposal. Pure: the caller probes the proposal (only on loopback) and decides
 * whether to write it.
 *
 * Recognised: `--port N`, `--port=N`, `-p N`, `--http-port`, `--server.port` (Streamlit),
 * `--bind`/`-b`/`--listen`/`--address` `HOST:PORT` (gunicorn, hypercorn), `--host H`,
 * `runserver [HOST:]PORT` (Django), `-m http.server N`; in the environment `PORT`,
 * `HTTP_PORT`, then any `*_PORT`, and `BIND`/`LISTEN` `HOST:PORT`, `HOST`.
 */

export interface PortFinding {
  host: string;
  port: number;
  /** Where it was found, e.g. `--port 8000 in ExecStart`. */
  from: string;
}

const PORT_FLAGS = new Set(['--port', '-p', '--http-port', '--server.port', '--listen-port']);
const BIND_FLAGS = new Set(['--bind', '-b', '--listen', '--address', '--addr']);
const HOST_FLAGS = new Set(['--host', '-H', '--server.address']);

function asPort(s: string | undefined): number | null {
  if (!s || !/^\d{1,5}$/.test(s)) return null;
  const n = Number(s);
  return n >= 1 && n <= 65535 ? n : null;
}

/** `host:port`, `:port`, `[::1]:port` → parts; null for unix sockets and the like. */
export function parseHostPort(s: string): { host: string; port: number } | null {
  const m = /^(\[[^\]]*\]|[^:[\]]*):(\d{1,5})$/.exec(s);
  if (!m) return null;
  const port = asPort(m[2]);
  return port ? { host: m[1]!, port } : null;
}

/** Where to reach a server bound to `host`: wildcard and empty binds are reached on 127.0.0.1. */
export function probeHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0' || h === '::' || h === '*' || h === 'localhost') return '127.0.0.1';
  return h.includes(':') ? `[${h}]` : h;
}

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return /^127\.\d+\.\d+\.\d+$/.test(h) || h === '::1';
}

function fromArgv(args: string[]): { host?: string; port?: number; from?: string } {
  const found: { host?: string; port?: number; from?: string } = {};
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    const eq = w.startsWith('--') ? w.indexOf('=') : -1;
    const flag = eq > 0 ? w.slice(0, eq) : w;
    const value = eq > 0 ? w.slice(eq + 1) : args[i + 1];
    const shown = eq > 0 ? w : `${w} ${value ?? ''}`;
    if (PORT_FLAGS.has(flag) && asPort(value) && found.port === undefined) {
      found.port = asPort(value)!;
      found.from = `${shown} in ExecStart`;
    } else if (BIND_FLAGS.has(flag) && value && parseHostPort(value) && found.port === undefined) {
      const hp = parseHostPort(value)!;
      Object.assign(found, { port: hp.port, host: hp.host, from: `${shown} in ExecStart` });
    } else if (HOST_FLAGS.has(flag) && value && found.host === undefined) {
      found.host = value;
    } else if (
      (w === 'runserver' || (w === 'http.server' && args[i - 1] === '-m')) &&
      value &&
      found.port === undefined
    ) {
      const hp = parseHostPort(value) ?? (asPort(value) ? { host: '', port: asPort(value)! } : null);
      if (hp)
        Object.assign(found, {
          port: hp.port,
          host: hp.host || found.host,
          from: `${w} ${value} in ExecStart`,
        });
    }
  }
  return found;
}

function fromEnv(env: Record<string, string>): { host?: string; port?: number; from?: string } {
  for (const key of ['BIND', 'LISTEN', 'BIND_ADDRESS', 'LISTEN_ADDRESS']) {
    const hp = env[key] ? parseHostPort(env[key]) : null;
    if (hp) return { ...hp, from: `${key}=${env[key]} in the unit environment` };
  }
  const keys = [
    'PORT',
    'HTTP_PORT',
    ...Object.keys(env)
      .filter((k) => /_PORT$/.test(k) && k !== 'HTTP_PORT')
      .sort(),
  ];
  for (const key of keys) {
    const port = asPort(env[key]);
    if (port)
      return {
        port,
        ...(env.HOST ? { host: env.HOST } : {}),
        from: `${key}=${env[key]} in the unit environment`,
      };
  }
  return {};
}

/** The port the command names (preferred) or the environment names; null when neither does. */
export function findPort(args: string[], env: Record<string, string>): PortFinding | null {
  const a = fromArgv(args);
  const e = a.port === undefined ? fromEnv(env) : {};
  const port = a.port ?? e.port;
  if (port === undefined) return null;
  return { host: probeHost(a.host ?? e.host ?? env.HOST ?? ''), port, from: (a.from ?? e.from)! };
}

/** Paths tried, in order, for a health endpoint. */
export const HEALTH_PATHS = ['/healthz', '/health', '/readyz', '/'] as const;
