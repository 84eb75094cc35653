/** `maintenance:` in the contract: resolved windows; every bad window named with its path at once (exit 2). */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ContractError, parseContract } from '../../src/contract/load.js';
import { cli, tempDir } from './helpers.js';

const HEAD =
  'version: 1\nsupervisor: {kind: systemd}\nconda: {root: /c, env: e, python: "3.11"}\nservices:\n' +
  '  - {name: api, unit: api.service, command: [python]}\n' +
  '  - {name: db, unit: db.service, command: [python]}\n';

function problems(text: string): string[] {
  try {
    parseContract(text, '/tmp/x/medic.yaml');
  } catch (err) {
    expect(err).toBeInstanceOf(ContractError);
    return (err as ContractError).problems.map((p) => `${p.path}: ${p.message}`);
  }
  throw new Error('expected the contract to be rejected');
}

describe('maintenance windows in the contract', () => {
  it('are resolved with their schedule translated to croner patterns (defaults: hold, UTC, notify false)', () => {
    const c = parseContract(
      `${HEAD}maintenance:
  - {name: weekly, schedule: "Sat 02:00-04:00", timezone: Europe/Berlin, services: [api], mode: shadow, notify: true}
  - {name: nightly, schedule: "Mon-Fri,Sun 23:30-00:15", services: all}
  - {name: cron, schedule: {cron: "0 3 1 * *", duration: 90m}, services: [db]}
`,
      '/tmp/x/medic.yaml',
    );
    expect(c.maintenance).toEqual([
      {
        name: 'weekly',
        schedule: { kind: 'days', start: '0 2 * * 6', end: '0 4 * * *', text: 'Sat 02:00-04:00' },
        timezone: 'Europe/Berlin',
        services: ['api'],
        mode: 'shadow',
        notify: true,
      },
      {
        name: 'nightly',
        schedule: {
          kind: 'days',
          start: '30 23 * * 1-5,0',
          end: '15 0 * * *',
          text: 'Mon-Fri,Sun 23:30-00:15',
        },
        timezone: 'UTC',
        services: 'all',
        mode: 'hold',
        notify: false,
      },
      {
        name: 'cron',
        schedule: { kind: 'cron', start: '0 3 1 * *', durationMs: 5_400_000, text: '0 3 1 * * for 90m' },
        timezone: 'UTC',
        services: ['db'],
        mode: 'hold',
        notify: false,
      },
    ]);
  });

  it('reports unknown services, a bad time zone and an unparseable schedule, all at once', () => {
    expect(
      problems(`${HEAD}maintenance:
  - {name: a, schedule: "Sat 02:00-04:00", timezone: Europe/Berlni, services: [api, web]}
  - {name: b, schedule: "Saturday at two", services: [wrk]}
  - {name: a, schedule: {cron: "0 2 * *", duration: 2h}, services: all, mode: pause}
  - {name: c, schedule: "Sat 25:00-04:00", services: [api]}
`),
    ).toEqual([
      "maintenance.0.timezone: unknown time zone 'Europe/Berlni' (an IANA name such as Europe/Berlin or UTC)",
      expect.stringMatching(
        /^maintenance\.1\.schedule: cannot parse schedule 'Saturday at two': expected "<days> HH:MM-HH:MM"/,
      ),
      expect.stringMatching(/^maintenance\.2\.schedule: cron '0 2 \* \*' must have 5 fields/),
      expect.stringMatching(/^maintenance\.2\.mode: /),
      expect.stringMatching(/^maintenance\.3\.schedule: cannot parse schedule 'Sat 25:00-04:00'/),
      "maintenance.0.services.1: unknown service 'web' (services: api, db)",
      "maintenance.1.services.0: unknown service 'wrk' (services: api, db)",
      "maintenance.2.name: duplicate window name 'a' (also maintenance.0)",
    ]);
  });

  it('exits 2 from `medic contract check`, naming each problem', async () => {
    const dir = await tempDir();
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      `${HEAD}maintenance:\n  - {name: a, schedule: "Sat 02:00-04:00", timezone: Mars/Olympus, services: [web]}\n`,
    );
    const r = await cli(['contract', 'check', '--contract', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/maintenance\.0\.timezone: unknown time zone 'Mars\/Olympus'/);
    expect(r.stderr).toMatch(/maintenance\.0\.services\.0: unknown service 'web'/);
  });
});
