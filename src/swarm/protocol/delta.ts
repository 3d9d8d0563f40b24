import { sortedNames, type NamedTensors } from '../../core/index.js';

/**
 * ‖x − reference‖₂ over all tensors: squares summed in float64, one value after another, tensors in sorted
 * name order, so every peer gets the same bits. Without a reference it is ‖x‖₂. Assumes the same layout
 * (check it first); a non-finite value anywhere makes the result non-finite.
 */
export function deltaNorm(x: NamedTensors, reference: NamedTensors | null): number {
  let sumSq = 0;
  for (const name of sortedNames(x)) {
    const data = x.get(name)!.data;
    const ref = reference?.get(name)!.data;
    if (ref === undefined) {
      for (let j = 0; j < data.length; j++) sumSq += data[j] * data[j];
    } else {
      for (let j = 0; j < data.length; j++) {
        const d = data[j] - ref[j];
        sumSq += d * d;
      }
    }
  }
  return Math.sqrt(sumSq);
}
