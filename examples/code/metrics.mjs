// node examples/code/metrics.mjs (from the repository root; after pnpm build)
import { nd } from '@lfm/core';
import { paMpjpe } from '@lfm/procrustes';

// B = 1 sample of J = 4 joints, [B, J, 3] row-major. The prediction is the ground truth turned 90°
// about z, doubled and moved, with joint 3 off by 0.2; joint 2 is masked out (never read, even NaN).
const gt = new Float64Array([0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
const pred = new Float64Array([5, 5, 5, 5, 7, 5, NaN, NaN, NaN, 5, 5, 7.2]);
const mask = new Float64Array([1, 1, 0, 1]);
const { mean, perSample } = paMpjpe(nd(pred, [1, 4, 3]), nd(gt, [1, 4, 3]), nd(mask, [1, 4]));
console.log(mean, perSample); // what is left after the best similarity transform, in gt units
