import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MANAGE_UNITS } from '../../src/systemd/permission.js';
import { polkitRule, RULE_VERBS } from '../../src/systemd/polkit-rule.js';
import { repoRoot } from '../watchdog/helpers.js';

const run = promisify(execFile);

type Rule = (
  action: { id: string; lookup(k: string): string | undefined },
  subject: { user: string },
) => string;

/** Loads a rule file the way polkitd does: a script calling polkit.addRule (ES5, no modules). */
function load(text: string): Rule {
  const rules: Rule[] = [];
  const polkit = {
    Result: { YES: 'yes', NO: 'no', NOT_HANDLED: 'not handled' },
    addRule: (fn: Rule) => rules.push(fn),
  };
  runInNewContext(text, { polkit });
  expect(rules).toHaveLength(1);
  return rules[0] as Rule;
}

const unit = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}\.service$/);
const verbs = fc.constantFrom(...RULE_VERBS, 'kill', 'reload', 'reset-failed', 'enable');

describe('the polkit rule (medic contract polkit)', () => {
  it("answers YES exactly for medic's user, manage-units, a contract unit and a verb medic uses", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(unit, { minLength: 1, maxLength: 6 }),
        fc.constantFrom('medic', 'svc_medic'),
        fc.record({
          id: fc.constantFrom(
            MANAGE_UNITS,
            'org.freedesktop.systemd1.manage-unit-files',
            'org.freedesktop.login1.reboot',
          ),
          user: fc.constantFrom('medic', 'svc_medic', 'eve'),
          unit: fc.option(fc.oneof(unit, fc.constant('sshd.service')), { nil: undefined }),
          verb: fc.option(verbs, { nil: undefined }),
        }),
        (units, user, q) => {
          const rule = load(polkitRule({ user, units, source: 'test' }));
          const details: Record<string, string | undefined> = { unit: q.unit, verb: q.verb };
          const answer = rule({ id: q.id, lookup: (k) => details[k] }, { user: q.user });
          const yes =
            q.id === MANAGE_UNITS &&
            q.user === user &&
            q.unit !== undefined &&
            units.includes(q.unit) &&
            q.verb !== undefined &&
            (RULE_VERBS as readonly string[]).includes(q.verb);
          // A question without a unit (StartTransientUnit runs any command as root) is never answered.
          expect(answer).toBe(yes ? 'yes' : 'not handled');
        },
      ),
    );
  });

  it('examples/polkit/50-medic.rules is the current rule for the shop example (fails when stale)', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        join(repoRoot, 'bin/medic.mjs'),
        'contract',
        'polkit',
        '--contract',
        'examples/contracts/shop.yaml',
        '--user',
        'medic',
      ],
      { cwd: repoRoot },
    );
    expect(
      readFileSync(join(repoRoot, 'examples/polkit/50-medic.rules'), 'utf8') === stdout,
      'examples/polkit/50-medic.rules is stale; regenerate: node bin/medic.mjs contract polkit --contract examples/contracts/shop.yaml --user medic > examples/polkit/50-medic.rules',
    ).toBe(true);
  });
});
