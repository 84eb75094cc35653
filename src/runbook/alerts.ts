/**
 * The runbook's "Alerts" section: the shipped Prometheus rules (examples/prometheus/
 * medic-alerts.yml), what each alert means, who acts and how, and the metric semantics behind
 * them. test/runbook/runbook.test.ts checks that every alert of the rules file is described here.
 */
import type { Block } from './doc.js';

export interface AlertText {
  alert: string;
  severity: 'page' | 'warning' | 'none';
  means: string;
  who: string;
  act: string;
}

export const ALERT_TEXTS: AlertText[] = [
  {
    alert: 'MedicCircuitOpen',
    severity: 'page',
    means:
      'Restarting stopped helping: the circuit of the service is open, half-open, or running its probe restart ' +
      '(`medic_circuit_open == 1` for 1 minute). One alert per episode: it stays firing across half-open probes and ' +
      'a re-opened circuit, and resolves when the circuit closes or an operator holds the service.',
    who: 'The on-call engineer of the service (paged).',
    act: 'Follow [inspect_and_approve](#action-inspect-and-approve): read the journal, then approve one probe restart or hold.',
  },
  {
    alert: 'MedicRestartChurnNearLimit',
    severity: 'warning',
    means: 'The churn window holds maxRestarts − 1 restarts: one more opens the circuit.',
    who: 'The service owner, in working hours.',
    act: 'Follow [watch_restart](#action-watch-restart); hold the service if restarts cannot fix it.',
  },
  {
    alert: 'MedicRestartsBlocked',
    severity: 'warning',
    means:
      'Three or more cooldown/backoff refusal episodes of one service within 30 minutes ' +
      '(`medic_restarts_blocked_total` counts episodes, not probes): it crash-loops, medic still throttles it. ' +
      'Circuit-open and held refusals never raise it (MedicCircuitOpen and the hold cover those); it never pages.',
    who: 'The service owner, in working hours.',
    act: 'Follow [wait_cooldown](#action-wait-cooldown): read why it keeps failing before the circuit opens.',
  },
  {
    alert: 'MedicContractDrift',
    severity: 'warning',
    means:
      'For 10 minutes, systemd units, scripts or the conda environment differ from the runtime contract.',
    who: 'Whoever deploys the service.',
    act: 'Run `medic contract check` and apply the fix commands it prints ([contract rollout](#contract-rollout)).',
  },
  {
    alert: 'MedicStoreFailing',
    severity: 'page',
    means:
      'For 1 minute the store took no durable writes (`medic_store_up == 0`): disk full, I/O error, read-only file or ' +
      'filesystem, or the database file was deleted under medic. medic records nothing and restarts nothing meanwhile.',
    who: 'The on-call engineer of the host (paged).',
    act: '`curl $URL/readyz` names the error; follow [store recovery](#store-recovery).',
  },
  {
    alert: 'MedicMaintenanceWindow',
    severity: 'none',
    means:
      'A maintenance window applies to the service (`medic_maintenance_active == 1`, label `mode` hold or shadow): ' +
      'medic holds or only records its automatic restarts until the window ends. Not a page: the shipped ' +
      'Alertmanager inhibit rule silences the service’s other pages and warnings while it fires.',
    who: 'Nobody; it is the inhibit source (and a dashboard marker).',
    act: 'None. To end the window early: `medic maintenance cancel <id>` ([wait_maintenance](#action-wait-maintenance)).',
  },
  {
    alert: 'MedicDown',
    severity: 'page',
    means: 'Prometheus cannot scrape medic for 2 minutes: nothing is watching the services.',
    who: 'The on-call engineer of the host (paged).',
    act: '`systemctl status medic` and `journalctl -u medic -n 200`; see [operator commands](#operator-commands).',
  },
];

export function alertBlocks(): Block[] {
  return [
    {
      kind: 'p',
      text:
        'The shipped rules are `examples/prometheus/medic-alerts.yml`; their cases (including the half-open ' +
        'sequence with no resolve in between) run with `promtool test rules examples/prometheus/medic-alerts.test.yml`. ' +
        'medic speaks once per episode: `medic_restarts_blocked_total` counts refusal episodes, ' +
        '`medic_restart_refusals` is the exact number of refused attempts, `medic_circuit_open` is 1 for the whole ' +
        'circuit episode (0 while held), `medic_circuit_state` keeps 0 closed / 1 half-open / 2 open for dashboards.',
    },
    {
      kind: 'table',
      head: ['alert', 'severity', 'what it means', 'who acts', 'how'],
      rows: ALERT_TEXTS.map((a) => [`\`${a.alert}\``, a.severity, a.means, a.who, a.act]),
    },
  ];
}
