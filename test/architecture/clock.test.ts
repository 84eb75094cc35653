/**
 * One clock (issue 10, docs/ARCHITECTURE.md "One clock"): outside the clock module nothing reads
 * the system clock or arms a real timer — every wait and every "now" goes through the `Clock`
 * medic was given, so a SimulatedClock drives all of it in tests. This walks the syntax tree
 * (TypeScript's parser: comments and strings never match) of every source file under src/ and
 * bot/ and fails on any use of the raw time globals below, except in the allow-list, where each
 * entry says why.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** What is forbidden: reading the system clock, arming a real timer. */
type RawTime =
  | 'Date.now()'
  | 'new Date()'
  | 'setTimeout'
  | 'setInterval'
  | 'clearTimeout'
  | 'clearInterval'
  | 'performance.now()'
  | 'process.hrtime'
  | 'node:timers';

const TIMER_GLOBALS = new Set(['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval']);

/**
 * Where raw time is allowed, and why. A path ending in `/` covers a folder. Keep it short: a new
 * entry needs a reason a reviewer accepts.
 */
const ALLOWED: Record<string, { uses: RawTime[] | 'all'; why: string }> = {
  'src/clock/': { uses: 'all', why: 'the clock module: systemClock is the one place that reads real time' },
  'src/api/http/metrics.ts': {
    uses: ['performance.now()'],
    why: 'decision latency histogram: sub-millisecond CPU time of decide(), not a time medic decides on',
  },
  'src/executors/systemd.ts': {
    uses: ['performance.now()'],
    why: 'how long a systemd job took, for the log line only',
  },
  'src/api/http/alertmanager.ts': {
    uses: ['performance.now()'],
    why: 'how long acting on one webhook took, for the debug log line only',
  },
  'src/cli/commands/store.ts': {
    uses: ['performance.now()'],
    why: '`medic store backup|check` print how long they took; no Clock in a one-shot command',
  },
  'src/hub/server-timing.ts': {
    uses: ['performance.now()'],
    why: 'the budget answers’ Server-Timing: how long the hub’s stages took, reported to the client, never decided on',
  },
  'src/watchdog/probes.ts': {
    uses: ['performance.now()'],
    why: 'HTTP probe response time for the probe-duration histogram (sub-millisecond on loopback)',
  },
};

interface Violation {
  file: string;
  line: number;
  use: RawTime;
}

/** Raw time uses in one source text. */
function rawTimeUses(file: string, text: string): Violation[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const out: Violation[] = [];
  const add = (node: ts.Node, use: RawTime) =>
    out.push({ file, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, use });
  const isAccess = (n: ts.Expression, obj: string, prop: string) =>
    ts.isPropertyAccessExpression(n) &&
    ts.isIdentifier(n.expression) &&
    n.expression.text === obj &&
    n.name.text === prop;
  const visit = (node: ts.Node): void => {
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Date') {
      if (!node.arguments || node.arguments.length === 0) add(node, 'new Date()');
    }
    if (ts.isPropertyAccessExpression(node)) {
      // Called or passed on (`now = opts.now ?? Date.now`) alike.
      if (isAccess(node, 'Date', 'now')) add(node, 'Date.now()');
      if (isAccess(node, 'performance', 'now')) add(node, 'performance.now()');
      if (isAccess(node, 'process', 'hrtime')) add(node, 'process.hrtime');
      if (
        ts.isIdentifier(node.expression) &&
        node.expression.text === 'globalThis' &&
        TIMER_GLOBALS.has(node.name.text)
      ) {
        add(node, node.name.text as RawTime);
      }
      // `x.setTimeout(...)` is a Clock (or another object's) method: only visit the object.
      visit(node.expression);
      return;
    }
    if (ts.isIdentifier(node) && TIMER_GLOBALS.has(node.text) && isGlobalReference(node)) {
      add(node, node.text as RawTime);
    }
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      /^(node:)?timers(\/promises)?$/.test(node.moduleSpecifier.text)
    ) {
      add(node, 'node:timers');
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** An identifier that names the global (not a declaration, a property name or a type member). */
function isGlobalReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAssignment(p)) return p.initializer === id;
  if (ts.isShorthandPropertyAssignment(p)) return true;
  if (ts.isVariableDeclaration(p) || ts.isParameter(p) || ts.isPropertyDeclaration(p)) return p.name !== id;
  if (
    ts.isPropertySignature(p) ||
    ts.isMethodSignature(p) ||
    ts.isMethodDeclaration(p) ||
    ts.isFunctionDeclaration(p) ||
    ts.isImportSpecifier(p) ||
    ts.isExportSpecifier(p) ||
    ts.isTypeReferenceNode(p) ||
    ts.isQualifiedName(p)
  ) {
    return false;
  }
  return true;
}

function allowed(v: Violation): boolean {
  for (const [path, rule] of Object.entries(ALLOWED)) {
    const covers = path.endsWith('/') ? v.file.startsWith(path) : v.file === path;
    if (covers && (rule.uses === 'all' || rule.uses.includes(v.use))) return true;
  }
  return false;
}

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sources(path));
    else if (e.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

describe('one clock', () => {
  it('finds every raw time use in a source text, and nothing in comments, strings or Clock methods', () => {
    const text = [
      '// Date.now() in a comment, "setTimeout" in a string',
      'import { setTimeout as wait } from "node:timers/promises";',
      'const a = Date.now();',
      'const b = new Date();',
      'const c = new Date(a).toISOString();',
      'setTimeout(() => {}, 10);',
      'const h = setInterval(() => {}, 10); clearInterval(h);',
      'globalThis.setTimeout(() => {}, 1);',
      'clock.setTimeout(() => {}, 5); clock.clearTimeout(t); clock.now();',
      'const d = performance.now(); const e = process.hrtime.bigint();',
      'const now = opts.now ?? Date.now;',
      'const o = { setTimeout(fn: () => void) {}, clearTimeout: x };',
      'interface C { setTimeout(fn: () => void, ms: number): void }',
    ].join('\n');
    expect(rawTimeUses('x.ts', text).map((v) => `${v.line}:${v.use}`)).toEqual([
      '2:node:timers',
      '3:Date.now()',
      '4:new Date()',
      '6:setTimeout',
      '7:setInterval',
      '7:clearInterval',
      '8:setTimeout',
      '10:performance.now()',
      '10:process.hrtime',
      '11:Date.now()',
    ]);
  });

  it('src/ and bot/ use time only through the Clock (outside the commented allow-list)', () => {
    const found: Violation[] = [];
    for (const file of [...sources('src'), ...sources('bot')]) {
      found.push(...rawTimeUses(relative(ROOT, join(ROOT, file)), readFileSync(join(ROOT, file), 'utf8')));
    }
    expect(found.filter((v) => !allowed(v)).map((v) => `${v.file}:${v.line} ${v.use}`)).toEqual([]);
  });
});
