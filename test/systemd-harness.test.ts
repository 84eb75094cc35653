import { afterAll, expect, it } from 'vitest';
import {
  describeSystemd,
  installUnit,
  removeUnit,
  showUnit,
  systemctl,
  uniqueUnit,
  waitFor,
} from './helpers/systemd.js';

describeSystemd('the real systemd user manager used by the tests', () => {
  const unit = uniqueUnit('harness');
  afterAll(() => removeUnit(unit));

  it('runs a unit and reports its exit code', async () => {
    await installUnit(unit, "[Service]\nExecStart=/bin/sh -c 'exit 3'\n");
    await systemctl('start', unit).catch(() => {});
    const props = await waitFor(async () => {
      const p = await showUnit(unit, ['ActiveState', 'ExecMainStatus']);
      return p.ActiveState === 'failed' ? p : null;
    });
    expect(props.ExecMainStatus).toBe('3');
  });
});
