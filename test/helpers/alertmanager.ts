/**
 * A real Alertmanager (Debian `prometheus-alertmanager`) for tests: started on a random loopback
 * port with a temporary storage path and a config whose only receiver is medic's webhook (bearer
 * token, send_resolved), with small group_wait / group_interval / repeat_interval so repeats come
 * fast. `cluster: false` runs it alone (`--cluster.listen-address=`); `cluster: true` listens for
 * gossip on a random loopback port and joins `peers` (an HA pair).
 *
 * Alerts are posted to its API v2 (`POST /api/v2/alerts`), the way Prometheus sends them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const alertmanagerAvailable = existsSync(ALERTMANAGER_BIN);

export interface AlertmanagerOptions {
  /** medic's webhook URL (http://127.0.0.1:PORT/alertmanager). */
  webhookUrl: string;
  token: string;
  cluster?: boolean;
  /** Gossip addresses of peers to join (`host:port`). */
  peers?: string[];
  groupWait?: string;
  groupInterval?: string;
  repeatInterval?: string;
  /** YAML appended to the config (e.g. an `inhibit_rules:` block). */
  extraConfig?: string;
}

export interface RunningAlertmanager {
  url: string;
  /** Gossip address (cluster mode), for the next peer's --cluster.peer. */
  clusterAddress: string | null;
  output(): string;
  post(alerts: PostedAlert[]): Promise<void>;
  stop(): Promise<void>;
}

export interface PostedAlert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL?: string;
}

/** A free loopback port (released before use; fine for a test). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

function config(o: AlertmanagerOptions): string {
  return `route:
  receiver: medic
  group_by: ['alertname']
  group_wait: ${o.groupWait ?? '50ms'}
  group_interval: ${o.groupInterval ?? '200ms'}
  repeat_interval: ${o.repeatInterval ?? '400ms'}
receivers:
  - name: medic
    webhook_configs:
      - url: ${JSON.stringify(o.webhookUrl)}
        send_resolved: true
        max_alerts: 50
        http_config:
          authorization:
            credentials: ${JSON.stringify(o.token)}
${o.extraConfig ?? ''}`;
}

export async function startAlertmanager(o: AlertmanagerOptions): Promise<RunningAlertmanager> {
  const dir = await mkdtemp(join(tmpdir(), 'medic-am-'));
  await writeFile(join(dir, 'alertmanager.yml'), config(o));
  const port = await freePort();
  const clusterPort = o.cluster ? await freePort() : null;
  const args = [
    `--config.file=${join(dir, 'alertmanager.yml')}`,
    `--storage.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    `--cluster.listen-address=${clusterPort ? `127.0.0.1:${clusterPort}` : ''}`,
    '--log.level=debug',
  ];
  if (clusterPort) {
    args.push(
      `--cluster.advertise-address=127.0.0.1:${clusterPort}`,
      // The second replica waits peer-timeout × its position before sending; short here.
      '--cluster.peer-timeout=100ms',
      '--cluster.settle-timeout=1s',
      '--cluster.gossip-interval=50ms',
      '--cluster.pushpull-interval=1s',
    );
    for (const p of o.peers ?? []) args.push(`--cluster.peer=${p}`);
  }
  let out = '';
  const child: ChildProcess = spawn(ALERTMANAGER_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (b) => (out += String(b)));
  child.stderr?.on('data', (b) => (out += String(b)));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`alertmanager exited:\n${out}`);
    try {
      const res = await fetch(`${url}/-/ready`);
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`alertmanager not ready:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    clusterAddress: clusterPort ? `127.0.0.1:${clusterPort}` : null,
    output: () => out,
    async post(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts),
      });
      if (!res.ok) throw new Error(`alertmanager refused alerts: ${res.status} ${await res.text()}`);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
