/**
 * `/runbook` for `medic serve`: the runbook rendered from the contract and the ACTIVE policy
 * version, so it changes with `policy apply` / `rollback` without a restart. HTML by default;
 * Markdown at `/runbook.md` or with `?format=md`. Re-rendered only when the active version (or
 * the contract object) changes. GET/HEAD only; no authentication (it holds no secrets: the
 * same text is committed as docs/RUNBOOK.md).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Contract } from '../contract/types.js';
import type { Logger } from '../log.js';
import { activePolicySet } from '../rollout/versions.js';
import type { Store } from '../store/types.js';
import { type RunbookFormat, renderRunbook } from './render.js';

export interface RunbookRouteDeps {
  /** The current contract (a function, so a reloaded contract is picked up). */
  contract: () => Contract;
  store: Pick<Store, 'activePolicyVersion'>;
  publicUrl?: string;
  logger?: Pick<Logger, 'error'>;
}

export interface RunbookRoute {
  prefix: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

const TYPES: Record<RunbookFormat, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};

export function createRunbookRoute(deps: RunbookRouteDeps): RunbookRoute {
  const cache = new Map<RunbookFormat, { key: string; contract: Contract; text: string }>();
  const render = (format: RunbookFormat): string => {
    const active = activePolicySet(deps.store);
    const contract = deps.contract();
    const key = active ? `${active.version.version}:${active.version.hash}` : 'contract';
    const hit = cache.get(format);
    if (hit && hit.key === key && hit.contract === contract) return hit.text;
    const text = renderRunbook({
      contract,
      format,
      ...(active ? { policies: active.set } : {}),
      source: { contract: contract.file, version: active?.version.version ?? null },
      ...(deps.publicUrl ? { publicUrl: deps.publicUrl } : {}),
    });
    cache.set(format, { key, contract, text });
    return text;
  };
  return {
    prefix: '/runbook',
    handle(req, res) {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = url.pathname.replace(/\/+$/, '');
      let format: RunbookFormat | null = null;
      if (path === '/runbook') format = url.searchParams.get('format') === 'md' ? 'md' : 'html';
      else if (path === '/runbook.md') format = 'md';
      else if (path === '/runbook.html') format = 'html';
      if (!format) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res
          .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' })
          .end('method not allowed\n');
        return;
      }
      try {
        const body = render(format);
        res.writeHead(200, { 'content-type': TYPES[format], 'cache-control': 'no-cache' });
        res.end(req.method === 'HEAD' ? undefined : body);
      } catch (err) {
        // Internals stay internal: the details go to the log, not to the client.
        deps.logger?.error({ err }, 'runbook rendering failed');
        res
          .writeHead(500, { 'content-type': 'text/plain; charset=utf-8' })
          .end('runbook could not be rendered\n');
      }
    },
  };
}
