import { describe, expect, it } from 'vitest';
import { accuracy, argmaxRows, binaryAuroc, macroAuroc, macroF1 } from '../../src/models/index.js';

// Values worked by hand (and matching scikit-learn's definitions).
describe('metrics', () => {
  const y = Int32Array.from([0, 0, 1, 1, 2, 2]);
  const pred = Int32Array.from([0, 1, 1, 1, 2, 0]);

  it('accuracy = 4/6', () => expect(accuracy(y, pred)).toBeCloseTo(4 / 6, 12));

  it('macro-F1: class F1s 1/2, 4/5, 2/3', () => {
    // class 0: tp1 fp1 fn1 → 2/4; class 1: tp2 fp1 fn0 → 4/5; class 2: tp1 fp0 fn1 → 2/3
    expect(macroF1(y, pred, 3)).toBeCloseTo((0.5 + 0.8 + 2 / 3) / 3, 12);
  });

  it('binary AUROC with a tie counts the tie as half', () => {
    // positives 0.8, 0.4; negatives 0.4, 0.1 → pairs: (0.8>0.4)1 (0.8>0.1)1 (0.4=0.4)0.5 (0.4>0.1)1 → 3.5/4
    expect(binaryAuroc([0.8, 0.4, 0.4, 0.1], [true, true, false, false])).toBeCloseTo(0.875, 12);
    expect(binaryAuroc([0.1, 0.2], [true, true])).toBeNull();
  });

  it('macro-AUROC averages one-vs-rest over classes present', () => {
    const probs = Float32Array.from([0.7, 0.2, 0.1, 0.2, 0.7, 0.1, 0.1, 0.1, 0.8, 0.6, 0.3, 0.1]);
    const yy = Int32Array.from([0, 1, 2, 1]);
    // class 0: pos 0.7 vs neg 0.2,0.1,0.6 → 1; class 1: pos .7,.3 vs neg .2,.1 → 1; class 2: pos .8 vs .1,.1,.1 → 1
    expect(macroAuroc(yy, probs, 3)).toBeCloseTo(1, 12);
    // class 0: pos .2 vs .7,.1,.6 → 1/3; class 1: pos .2,.3 vs .7,.1 → 2/4; class 2: pos .8 vs .1,.1,.1 → 1
    const flipped = Int32Array.from([1, 0, 2, 1]);
    expect(macroAuroc(flipped, probs, 3)).toBeCloseTo((1 / 3 + 0.5 + 1) / 3, 6);
    expect(Array.from(argmaxRows(probs, 3))).toEqual([0, 1, 2, 0]);
  });
});
