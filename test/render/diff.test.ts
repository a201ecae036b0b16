// `diff` as text: an added or removed metric shows its one value, as params do (review 9
// found "+ acc: undefined -> 0.93").
import { describe, expect, it } from 'vitest';
import type { DiffResult } from '../../src/api/diff.js';
import { renderDiff } from '../../src/render/diff.js';

const side = (id: string) => ({ id: id.repeat(64), label: `m@${id}` });

describe('renderDiff', () => {
  it('shows added, removed and changed metrics without "undefined"', () => {
    const d: DiffResult = {
      from: side('1'), to: side('3'),
      params: { added: [], removed: [], changed: [] },
      metrics: [{ key: 'acc', to: 0.93 }, { key: 'auc', from: 0.91 }, { key: 'loss', from: 0.5, to: 0.25, delta: -0.25 }],
      curves: [], data: [], env: [], artifacts: [], parents: { added: [], removed: [] },
    };
    const text = renderDiff(d);
    expect(text).not.toMatch(/undefined/);
    expect(text).toContain('metrics:\n  + acc: 0.93\n  - auc: 0.91\n  ~ loss: 0.5 -> 0.25 (-0.25)');
  });
});
