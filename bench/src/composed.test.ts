import { describe, expect, it } from 'vitest';
import { COMPOSED_MODELS, COMPOSED_NAMES } from './composed-table.js';
import { composedCommand, formatComposed, parseResultLines } from './composed.js';

describe('parseResultLines', () => {
  it('reads RESULT lines and JSON-object lines, in order, and ignores the human lines', () => {
    const stdout = [
      'epoch 1: loss 3.2',
      '{"workload":"mnist-conv-vae","testNegElbo":110.5}',
      '{not json, a human line}',
      '[1, 2]',
      'RESULT {"lastLoss":1.25,"reloadedEqual":true}',
      '  RESULT {"b":"x"}  ',
      'RESULT null',
    ].join('\n');
    expect(parseResultLines(stdout)).toEqual([
      { workload: 'mnist-conv-vae', testNegElbo: 110.5 },
      { lastLoss: 1.25, reloadedEqual: true },
      { b: 'x' },
    ]);
    expect(parseResultLines('no figures here\n')).toEqual([]);
  });
});

describe('the composed table', () => {
  it('names each model once and builds a built script of this repository', () => {
    expect(new Set(COMPOSED_NAMES).size).toBe(COMPOSED_MODELS.length);
    for (const m of COMPOSED_MODELS) expect(m.script).toMatch(/^(bench|examples)\/dist\/[a-z0-9-]+\.js$/);
  });

  it('writes the command a user types: the environment, then node, the script and its flags', () => {
    const cvae = COMPOSED_MODELS.find((m) => m.name === 'cvae-mnist')!;
    expect(composedCommand(cvae, false)).toBe(
      'VARIA_EXAMPLE_ROWS=8000 VARIA_EXAMPLE_EPOCHS=8 VARIA_EXAMPLE_BASELINE_EPOCHS=8 VARIA_EXAMPLE_HIDDEN=128 node examples/dist/cvae-mnist.js',
    );
    expect(composedCommand(cvae, true)).toBe('node examples/dist/cvae-mnist.js');
    const conv = COMPOSED_MODELS.find((m) => m.name === 'conv-vae')!;
    expect(composedCommand(conv, false)).toBe('node bench/dist/conv-vae.js --epochs 10 --iwae 100');
  });
});

describe('formatComposed', () => {
  it('prints a line per model and its figures, or why it was skipped', () => {
    const lines = formatComposed([
      {
        name: 'topic-model',
        description: '',
        command: 'node examples/dist/topic-model.js',
        size: 'quick',
        seconds: 12.4,
        results: [{ epochs: 20, cosine: 0.96712, nested: { a: 1 }, architecture: 'x'.repeat(41), kind: 'iaf' }],
      },
      { name: 'conv-vae', description: '', command: 'node x', size: 'quick', seconds: 0, skipped: 'exit 1: boom' },
    ]);
    expect(lines).toEqual([
      '  topic-model           12 s  node examples/dist/topic-model.js',
      '    epochs 20, cosine 0.9671, kind iaf',
      '  conv-vae               0 s  node x',
      '    skipped: exit 1: boom',
    ]);
  });
});
