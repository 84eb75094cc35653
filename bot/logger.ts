/** Adapts medic's pino logger to the @slack/logger interface Bolt expects. */
import { LogLevel, type Logger as SlackLogger } from '@slack/bolt';
import type { Logger } from '../src/log.js';

export function boltLogger(logger: Logger): SlackLogger {
  let level = LogLevel.INFO;
  const at =
    (fn: 'debug' | 'info' | 'warn' | 'error') =>
    (...msg: unknown[]) =>
      logger[fn](
        { component: 'bolt' },
        msg.map((m) => (typeof m === 'string' ? m : JSON.stringify(m))).join(' '),
      );
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => {},
  };
}
