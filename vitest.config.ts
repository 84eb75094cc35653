import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other. The second holds the tests that re-execute the shared
 * systemd user manager (`systemctl --user daemon-reexec` drops every D-Bus connection to it),
 * so they never run while other files are talking to the manager.
 */
const MANAGER_RESTART = ['test/watchdog/reconnect.test.ts'];

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
          exclude: [...configDefaults.exclude, ...MANAGER_RESTART],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'manager-restart', include: MANAGER_RESTART, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
