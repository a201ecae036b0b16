// The documented tables must match the code: error codes and verify findings.
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FINDINGS } from '../src/api/verify.js';
import { ERROR_CODES, MlmetaError } from '../src/errors.js';
import * as api from '../src/index.js';

function tableIds(file: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const m = /^\| `([A-Z_]+)` \|(.*)\|$/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.split('|').map((c) => c.trim()));
  }
  return rows;
}

describe('docs match the code', () => {
  it('docs/ERRORS.md lists every error code with its exit code', () => {
    const rows = tableIds('docs/ERRORS.md');
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const [code, cells] of rows) {
      const exit = new MlmetaError(code as keyof typeof ERROR_CODES, 'x').exitCode;
      expect(`${code}: ${cells[0]}`).toBe(`${code}: ${exit}`);
    }
  });

  it('docs/VERIFY.md lists every finding with its severity', () => {
    const rows = tableIds('docs/VERIFY.md');
    expect([...rows.keys()].sort()).toEqual(Object.keys(FINDINGS).sort());
    for (const [id, cells] of rows) expect(`${id}: ${cells[0]}`).toBe(`${id}: ${FINDINGS[id as keyof typeof FINDINGS].severity}`);
  });

  it('pins the public exports of the library', () => {
    expect(Object.keys(api).sort()).toEqual([
      'ERROR_CODES', 'FINDINGS', 'MlmetaError', 'Store', 'attest', 'auditRecord', 'canonicalYaml', 'checkSignature',
      'exportModelCard', 'exportOpenLineage', 'exportProv', 'exportSite', 'importDvc', 'importMlflow', 'initStore',
      'openStore', 'pae', 'parseMetricPairs', 'parseParamPairs', 'parseRef', 'parseYaml', 'postEvents',
      'readMappingFile', 'reproduce', 'sha256Hex', 'signRecord', 'signaturesOf', 'startUi', 'statementFor',
    ]);
  });
});
