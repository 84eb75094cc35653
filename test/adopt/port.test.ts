import { describe, expect, it } from 'vitest';
import { findPort, isLoopback, parseHostPort } from '../../src/adopt/init/port.js';

describe('contract init: the port a service names', () => {
  it.each([
    [['--port', '8000'], {}, '127.0.0.1', 8000, '--port 8000 in ExecStart'],
    [['--port=8001'], {}, '127.0.0.1', 8001, '--port=8001 in ExecStart'],
    [['-b', '0.0.0.0:8002', 'app:app'], {}, '127.0.0.1', 8002, '-b 0.0.0.0:8002 in ExecStart'],
    [['--bind', '127.0.0.2:8003'], {}, '127.0.0.2', 8003, '--bind 127.0.0.2:8003 in ExecStart'],
    [['--host', '::1', '--port', '8004'], {}, '[::1]', 8004, '--port 8004 in ExecStart'],
    [
      ['manage.py', 'runserver', '0.0.0.0:8005'],
      {},
      '127.0.0.1',
      8005,
      'runserver 0.0.0.0:8005 in ExecStart',
    ],
    [['-m', 'http.server', '8006'], {}, '127.0.0.1', 8006, 'http.server 8006 in ExecStart'],
    [['run', 'app.py', '--server.port', '8501'], {}, '127.0.0.1', 8501, '--server.port 8501 in ExecStart'],
    [['app.py'], { PORT: '8007' }, '127.0.0.1', 8007, 'PORT=8007 in the unit environment'],
    [
      ['app.py'],
      { SHOP_PORT: '8008', HOST: '127.0.0.3' },
      '127.0.0.3',
      8008,
      'SHOP_PORT=8008 in the unit environment',
    ],
    [['app.py'], { BIND: ':8009' }, '127.0.0.1', 8009, 'BIND=:8009 in the unit environment'],
    [['--port', '8010'], { PORT: '9999' }, '127.0.0.1', 8010, '--port 8010 in ExecStart'],
  ] as const)('%j %j → %s:%d', (args, env, host, port, from) => {
    expect(findPort([...args], { ...env })).toEqual({ host, port, from });
  });

  it.each([
    [['app.py']],
    [['--port', 'http']],
    [['--port', '70000']],
    [['--bind', 'unix:/run/x.sock']],
    [['-p']],
  ])('finds no port in %j', (args) => {
    expect(findPort([...args], {})).toBeNull();
  });

  it('splits host:port and knows loopback', () => {
    expect(parseHostPort('[::1]:80')).toEqual({ host: '[::1]', port: 80 });
    expect(parseHostPort('unix:/x')).toBeNull();
    expect(isLoopback('127.1.2.3')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });
});
