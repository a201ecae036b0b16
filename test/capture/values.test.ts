// Params and metrics enter through flags, files and merges; none of them may reach into
// JavaScript's object machinery (`__proto__.author=…` once rewrote a record's author).
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeMappings, parseMetricPairs, parseParamPairs, readMappingFile } from '../../src/capture/values.js';
import { MlmetaError } from '../../src/errors.js';
import { mlmeta, ok } from '../helpers/cli.js';
import { gitRepo, snapshot, tempDir, write } from '../helpers/dirs.js';

function code(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return e instanceof MlmetaError ? e.code : `not an MlmetaError: ${String(e)}`;
  }
  return undefined;
}

describe('unsafe keys', () => {
  it.each(['__proto__.author=evil', 'a.__proto__.x=1', 'constructor.prototype.author=evil', 'prototype=1'])('--param %s is refused and pollutes nothing', (pair) => {
    expect(code(() => parseParamPairs([pair]))).toBe('E_BAD_INPUT');
    expect(({} as Record<string, unknown>).author).toBeUndefined();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('--metric __proto__.x=1 is refused', () => {
    expect(code(() => parseMetricPairs(['__proto__.x=1']))).toBe('E_BAD_INPUT');
  });

  it('names inherited from Object.prototype are ordinary keys', () => {
    expect(parseParamPairs(['toString.x=1', 'hasOwnProperty=2'])).toEqual({ toString: { x: 1 }, hasOwnProperty: 2 });
  });

  it.each([
    ['params.yaml', '__proto__:\n  author: evil\n'],
    ['params.yaml', 'opt:\n  layers:\n    - {constructor: 1}\n'],
    ['params.json', '{"a": [{"b": {"__proto__": {"author": "evil"}}}]}'],
  ])('a %s with an unsafe key at any depth is refused', (name, text) => {
    const f = write(tempDir(), name, text);
    expect(code(() => readMappingFile(f, 'params'))).toBe('E_BAD_INPUT');
  });

  it('mergeMappings refuses unsafe keys from library callers (JSON.parse keeps __proto__ as a key)', () => {
    const hostile = JSON.parse('{"opt": {"__proto__": {"author": "evil"}}}') as Record<string, never>;
    expect(code(() => mergeMappings({ opt: { lr: 1 } }, hostile))).toBe('E_BAD_INPUT');
    expect(code(() => mergeMappings(hostile, {}))).toBe('E_BAD_INPUT');
    expect(({} as Record<string, unknown>).author).toBeUndefined();
    expect(mergeMappings({ opt: { lr: 1, b: 2 } }, { opt: { lr: 3 }, toString: 1 })).toEqual({ opt: { lr: 3, b: 2 }, toString: 1 });
  });
});

describe('record with an unsafe param key (CLI)', () => {
  it('refuses --param __proto__.author=evil and a params file with __proto__; the store is unchanged and authors stay true', () => {
    const repo = gitRepo();
    ok(repo, ['init']);
    const before = snapshot(path.join(repo, '.mlmeta'));
    for (const env of [{}, { MLMETA_AUTHOR: '' }]) {
      const r = mlmeta(repo, ['record', 'model', '--name', 'm', '--param', '__proto__.author=evil', '--code', 'none'], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('error[E_BAD_INPUT]: param key "__proto__.author": "__proto__" is not allowed as a key\n');
    }
    write(repo, 'params.yaml', '__proto__:\n  author: evil\nlr: 0.1\n');
    const f = mlmeta(repo, ['record', 'model', '--name', 'm', '--params', 'params.yaml', '--code', 'none']);
    expect(f.code).toBe(1);
    expect(f.stderr).toMatch(/^error\[E_BAD_INPUT\]: params file params\.yaml: key "__proto__": "__proto__" is not allowed as a key\n$/);
    expect(snapshot(path.join(repo, '.mlmeta'))).toEqual(before);
    const id = ok(repo, ['record', 'model', '--name', 'm', '--param', 'lr=0.1', '--code', 'none']);
    expect(JSON.parse(ok(repo, ['show', id, '--json'])).record.author).toBe('Test Author <author@example.test>');
  });
});
