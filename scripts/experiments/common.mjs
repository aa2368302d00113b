// Shared by the experiment scripts of this folder: their common flags and the row they print.
import { parseArgs } from 'node:util';

/** --model, --data, --split (default val), --limit (default 1000) and the script's own `options`. */
export function experimentArgs(options, usage) {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      data: { type: 'string' },
      split: { type: 'string', default: 'val' },
      limit: { type: 'string', default: '1000' },
      ...options,
    },
  });
  if (!values.model || !values.data) {
    console.error(`usage: ${usage}`);
    process.exit(1);
  }
  return values;
}

/** The first dataset of an `evaluate` report, rounded to 4 digits. */
export function evalRow(report) {
  const d = report.datasets[0];
  const f = (x) => Math.round(x * 1e4) / 1e4;
  return {
    strict: f(d.nPaMpjpe),
    flipBest: f(d.nPaMpjpeFlipBest),
    setFlip: f(d.nPaMpjpeSetFlip),
    flat: f(d.flatNPaMpjpe),
    flipBestOverFlat: f(d.nPaMpjpeFlipBest / d.flatNPaMpjpe),
    depthSpread: f(d.depthSpread),
  };
}
