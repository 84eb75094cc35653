import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three groups, run one after the other. The second holds the tests that re-execute the shared
 * systemd user manager (`systemctl --user daemon-reexec` drops every D-Bus connection to it),
 * so they never run while other files are talking to the manager.
 */
const MANAGER_RESTART = ['test/watchdog/reconnect.test.ts'];
/**
 * Last and alone: the scale test starts 500 units in the shared manager and serves them twice;
 * its signal flood through the bus daemon would starve other files' 2 s D-Bus calls.
 */
const SCALE = ['test/serve/scale.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The machine has 2 cores; systemd tests also spawn real processes.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'medic',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...MANAGER_RESTART, ...SCALE],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'manager-restart', include: MANAGER_RESTART, sequence: { groupOrder: 1 } },
      },
      {
        extends: true,
        test: { name: 'scale', include: SCALE, sequence: { groupOrder: 2 } },
      },
    ],
  },
});
