import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseContract } from '../../src/contract/load.js';
import { installCommands, renderContract } from '../../src/contract/render.js';
import { routeFor } from '../../src/systemd/connect.js';
import {
  journalctlCommand,
  managerRoute,
  type RouteEnv,
  type Scope,
  SYSTEM_BUS_ADDRESS,
  scopeFlags,
  systemctlArgv,
  systemctlCommand,
} from '../../src/systemd/scope.js';

const scopes = fc.constantFrom<Scope>('user', 'system');
const address = fc
  .stringMatching(/^[a-z0-9/._-]{1,40}$/)
  .map((p) => `unix:path=/${p}`)
  .filter((a) => a !== 'none');
const env = fc.record<RouteEnv>(
  {
    busAddress: fc.option(fc.oneof(address, fc.constant('none')), { nil: undefined }),
    runtimeDir: fc.option(fc.stringMatching(/^\/[a-z0-9/_-]{0,30}$/), { nil: undefined }),
    uid: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65_535 })),
    systemPrivateSocket: fc.boolean(),
  },
  { requiredKeys: ['uid', 'systemPrivateSocket'] },
);

describe('one scope/bus selection (src/systemd/scope.ts)', () => {
  it('MEDIC_DBUS_ADDRESS=none turns D-Bus off for every scope, an explicit address wins over every default', () => {
    fc.assert(
      fc.property(scopes, env, address, (scope, e, addr) => {
        expect(managerRoute(scope, { ...e, busAddress: 'none' })).toMatchObject({
          kind: 'disabled',
          address: null,
        });
        expect(managerRoute(scope, { ...e, busAddress: addr })).toMatchObject({
          kind: 'override',
          address: addr,
        });
      }),
    );
  });

  it('scope user without an override is the private socket under XDG_RUNTIME_DIR (default /run/user/<uid>)', () => {
    fc.assert(
      fc.property(env, (e) => {
        const route = managerRoute('user', { ...e, busAddress: undefined });
        const dir = (e.runtimeDir || `/run/user/${e.uid}`).replace(/\/+$/, '');
        expect(route).toMatchObject({ kind: 'private socket', address: `unix:path=${dir}/systemd/private` });
      }),
    );
    expect(managerRoute('user', { uid: 1000, systemPrivateSocket: true }).address).toBe(
      'unix:path=/run/user/1000/systemd/private',
    );
  });

  it('scope system without an override: the private socket only for root when it exists, else the system bus', () => {
    fc.assert(
      fc.property(env, (e) => {
        const route = managerRoute('system', { ...e, busAddress: undefined });
        if (e.uid === 0 && e.systemPrivateSocket) {
          expect(route).toMatchObject({ kind: 'private socket', address: 'unix:path=/run/systemd/private' });
        } else {
          expect(route).toMatchObject({ kind: 'system bus', address: SYSTEM_BUS_ADDRESS });
        }
      }),
    );
  });

  it('systemctl and journalctl get --user exactly for scope user, whatever the bus', () => {
    fc.assert(
      fc.property(
        scopes,
        env,
        fc.array(fc.stringMatching(/^[a-z-]{1,10}$/), { maxLength: 4 }),
        (scope, e, args) => {
          const route = managerRoute(scope, e);
          const flags = scope === 'user' ? ['--user'] : [];
          expect(route.systemctl).toEqual(flags);
          expect(route.journalctl).toEqual(flags);
          expect(scopeFlags(scope)).toEqual(flags);
          expect(systemctlArgv(scope, ...args)).toEqual(['systemctl', ...flags, ...args]);
          expect(systemctlCommand(scope)).toBe(['systemctl', ...flags].join(' '));
          expect(journalctlCommand(scope)).toBe(['journalctl', ...flags].join(' '));
        },
      ),
    );
  });

  it('the contract renderer prints the same systemctl as the transport runs', () => {
    for (const scope of ['user', 'system'] as const) {
      const contract = parseContract(
        `version: 1\nsupervisor: { kind: systemd, scope: ${scope} }\nconda: { root: /opt/conda, env: shop, python: "3.11" }\nservices:\n  - name: web\n    unit: shop-web.service\n    command: [python, -m, web]\n`,
        '/x/medic.yaml',
      );
      const text = installCommands(contract, '/out', renderContract(contract)).join('\n');
      expect(text).toContain(`${systemctlCommand(scope)} daemon-reload`);
      if (scope === 'system') expect(text).not.toContain('--user');
    }
  });

  it('no other source file builds a scope flag itself', async () => {
    const offenders: string[] = [];
    const walk = async (dir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (path.endsWith('.ts') && path !== join('src', 'systemd', 'scope.ts')) {
          const text = await readFile(path, 'utf8');
          // A flag as a string in code ('--user', ' --user', ['--user']) is a second selection
          // (prose in backticks, e.g. the runbook's "`--user` for user scope", is not).
          if (/['"]\s?--user['"]/.test(text)) offenders.push(path);
        }
      }
    };
    await walk('src');
    expect(offenders).toEqual([]);
  });

  it.runIf(process.env.MEDIC_TEST_SYSTEMD === '1')(
    "routeFor(scope user) is the real manager's private socket, and systemctl with its flags reaches it",
    async () => {
      const route = routeFor({ scope: 'user', runtimeDir: process.env.XDG_RUNTIME_DIR });
      expect(route.address).toBe(`unix:path=${process.env.XDG_RUNTIME_DIR}/systemd/private`);
      const { stdout } = await promisify(execFile)('systemctl', [...route.systemctl, 'is-system-running'], {
        timeout: 10_000,
      }).catch((err: { stdout: string }) => err);
      // `degraded` is fine too (a test unit may have failed); an unreachable manager prints `offline`.
      expect(stdout.trim()).toMatch(/^(running|degraded|starting)$/);
    },
  );
});
