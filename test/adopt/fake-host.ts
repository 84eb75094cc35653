/**
 * An in-memory host for the contract-init inference: folders, executables, file texts,
 * symlinks (for realpath), interpreter versions and HTTP answers, all given by the test.
 */
import type { InitHost, UnitProperties } from '../../src/adopt/init/types.js';

export interface FakeHostSpec {
  dirs?: string[];
  executables?: Record<string, string>;
  files?: Record<string, string>;
  /** Symlinked folders or files: `from` → `to` (prefix replacement, like a real symlink). */
  links?: Record<string, string>;
  versions?: Record<string, string>;
  http?: Record<string, number>;
}

export function fakeHost(spec: FakeHostSpec): InitHost & { probed: string[] } {
  const links = Object.entries(spec.links ?? {});
  const resolve = (p: string): string => {
    for (const [from, to] of links) {
      if (p === from || p.startsWith(`${from}/`)) return resolve(to + p.slice(from.length));
    }
    return p;
  };
  const dirs = new Set(spec.dirs ?? []);
  const probed: string[] = [];
  return {
    probed,
    async realpath(p) {
      return resolve(p);
    },
    async isDir(p) {
      return dirs.has(resolve(p));
    },
    async isExecutable(p) {
      return Object.hasOwn(spec.executables ?? {}, resolve(p));
    },
    async readText(p) {
      const r = resolve(p);
      return spec.files?.[r] ?? spec.executables?.[r] ?? null;
    },
    async listDir(p) {
      const r = `${resolve(p)}/`;
      return Object.keys({ ...spec.files, ...spec.executables })
        .filter((f) => f.startsWith(r) && !f.slice(r.length).includes('/'))
        .map((f) => f.slice(r.length));
    },
    async pythonVersion(p) {
      return spec.versions?.[resolve(p)] ?? null;
    },
    async httpStatus(url) {
      probed.push(url);
      return spec.http?.[url] ?? null;
    },
  };
}

/** A conda root `/opt/miniconda3` (linked from `/opt/conda`) with envs `shop` and `ml`. */
export function condaSpec(extra: FakeHostSpec = {}): FakeHostSpec {
  const r = '/opt/miniconda3';
  return {
    dirs: [
      `${r}/conda-meta`,
      `${r}/envs`,
      `${r}/envs/shop/conda-meta`,
      `${r}/envs/ml/conda-meta`,
      ...(extra.dirs ?? []),
    ],
    executables: {
      [`${r}/bin/python`]: '\x7fELF',
      [`${r}/bin/conda`]: `#!${r}/bin/python\n`,
      [`${r}/envs/shop/bin/python`]: '\x7fELF',
      [`${r}/envs/ml/bin/python`]: '\x7fELF',
      [`${r}/envs/shop/bin/gunicorn`]: `#!${r}/envs/shop/bin/python\n# -*- coding: utf-8 -*-\n`,
      '/usr/bin/python3': '\x7fELF',
      '/usr/bin/env': '\x7fELF',
      '/bin/sh': '\x7fELF',
      '/usr/bin/node': '\x7fELF',
      ...extra.executables,
    },
    files: { [`${r}/envs/shop/conda-meta/python-3.11.7-h955ad1f_0.json`]: '{}', ...extra.files },
    links: { '/opt/conda': r, ...extra.links },
    versions: {
      [`${r}/envs/shop/bin/python`]: '3.11.7',
      [`${r}/envs/ml/bin/python`]: '3.10.4',
      [`${r}/bin/python`]: '3.12.1',
      ...extra.versions,
    },
    ...(extra.http ? { http: extra.http } : {}),
  };
}

export function unit(name: string, argv: string[], over: Partial<UnitProperties> = {}): UnitProperties {
  return {
    id: name,
    loadState: 'loaded',
    fragmentPath: `/etc/systemd/system/${name}`,
    execStart: [{ path: argv[0]!, argv }],
    environment: [],
    environmentFiles: [],
    workingDirectory: '',
    workingDirectoryOptional: false,
    user: '',
    ...over,
  };
}
