/**
 * `medic demo [--duration SEC] [--data DIR]` (what `npm start` runs): medic with the bundled
 * contract (examples/demo) and the process backend, supervising a flaky Python service, so a
 * newcomer sees a crash, a restart, cooldown/backoff skips and the circuit opening within a
 * minute. Human-readable lines go to stderr; the full JSON log to <data>/demo.log. The DB
 * (<data>/demo.db) is reset at each start. Runs until Ctrl-C (or --duration seconds).
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { generateToken, hashToken } from '../../api/http/auth.js';
import { loadEnv } from '../../config/env.js';
import { sleep, type Timer } from '../../core/clock.js';
import { createLogger } from '../../log.js';
import { demoPrinter } from '../../serve/demo-printer.js';
import { prepareDemo } from '../../serve/demo-setup.js';
import { type RunningServe, startServe } from '../../serve/serve.js';
import { type Command, EXIT_OK, noExtraArgs, parseFlags, UsageError, writeLine } from '../io.js';
import { untilSignal } from './serve.js';

export const run: Command = async (args, io) => {
  const { values, positionals } = parseFlags(args, {
    duration: { type: 'string' },
    data: { type: 'string' },
  });
  noExtraArgs(positionals);
  const duration = values.duration === undefined ? null : Number(values.duration);
  if (duration !== null && !(duration > 0))
    throw new UsageError('--duration must be a positive number of seconds');
  const base = loadEnv(io.env);
  const files = await prepareDemo(values.data ?? `${io.cwd}/data`, base.PATH);
  const env = { ...base, MEDIC_DB: files.db };
  const say = (line: string) => writeLine(io.stderr, line);
  const logFile = createWriteStream(files.log);
  const logger = createLogger(env.LOG_LEVEL, logFile);

  say('medic demo: supervising a deliberately flaky service (examples/demo/flaky.py)');
  say(`  contract  ${files.contract}   (policy: 3 restarts per 2 min, 5 s cooldown, backoff 5/10/20 s)`);
  say(`  database  ${files.db}   (reset now)`);
  say(`  JSON log  ${files.log}`);
  say(
    '  Watch for: a crash → RESTART → the service turns unhealthy → SKIP backoff → RESTART → ... → CIRCUIT OPEN',
  );
  say('');

  const start = (port: number) =>
    startServe({
      env: { ...env, MEDIC_PORT: port },
      contractPath: files.contract,
      logger,
      clock: io.clock,
      output: (service, line) => say(`          ${service} | ${line}`),
    });
  let server: RunningServe;
  try {
    server = await start(env.MEDIC_PORT);
  } catch (err) {
    if ((err as { code?: string }).code !== 'EADDRINUSE') throw err;
    say(`  port ${env.MEDIC_PORT} is busy; using a free port instead`);
    server = await start(0);
  }
  const printer = demoPrinter(say);
  server.engine.subscribe((e) => printer.event(e));
  // The state summary every 5 s, on the demo's clock.
  let polling: Timer | null = null;
  const pollViews = () => {
    printer.poll(server.engine.views());
    polling = io.clock.setTimeout(pollViews, 5000);
  };
  polling = io.clock.setTimeout(pollViews, 5000);
  // The demo DB is fresh each start, so a throwaway admin token lets a newcomer try the API.
  const token = generateToken();
  server.store.createToken('demo-admin', 'admin', hashToken(token), io.clock.now());
  say(`  medic is up: ${server.url}/graphql (GraphiQL), ${server.url}/runbook, ${server.url}/status`);
  say(`  demo admin token (this run only): ${token}`);
  say(
    `  try: curl -s -H 'Authorization: Bearer ${token}' -H 'content-type: application/json' ` +
      `-d '{"query":"{ services { name state churn { restartsInWindow maxRestarts } recommendedAction { summary } } }"}' ${server.url}/graphql`,
  );
  say('  Ctrl-C stops');
  say('');

  const timer = duration === null ? null : sleep(io.clock, duration * 1000);
  await Promise.race([untilSignal(), ...(timer ? [timer] : [])]);
  say('');
  say('stopping the demo ...');
  io.clock.clearTimeout(polling);
  printer.poll(server.engine.views());
  await server.close();
  const v = server.engine.view('flaky');
  if (v) {
    say(
      `final state of flaky: ${v.state.tag}; restarts in window ${v.churn.restartsInWindow}/${v.churn.maxRestarts}, ` +
        `blocked attempts ${v.churn.blockedAttempts}, circuit opened ${v.churn.circuitOpens}×`,
    );
    say(`next step: ${v.recommended.summary}`);
  }
  logFile.end();
  await once(logFile, 'close');
  return EXIT_OK;
};
