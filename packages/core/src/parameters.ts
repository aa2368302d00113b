import { LfmError } from './errors.js';
import type { Shape } from './ops.js';
import { fnv1a32, Rng } from './rng.js';

/**
 * The parameter-spec vocabulary shared by the model packages (encoding, attention, model): each
 * module lists the parameters its forward function reads, with shape, trainability and initialiser,
 * so names and shapes live next to the code that uses them.
 */

/** How a parameter is initialised. Fans come from a 2-D shape [fanIn, fanOut]. */
export type ParameterInit =
  | { readonly kind: 'zeros' }
  | { readonly kind: 'ones' }
  /** N(0, std²). */
  | { readonly kind: 'normal'; readonly std: number }
  /** Glorot/Xavier uniform: U(±√(6 / (fanIn + fanOut))). For layers not followed by a ReLU-like. */
  | { readonly kind: 'xavierUniform' }
  /** He/Kaiming normal: N(0, 2 / fanIn). For layers followed by GELU. */
  | { readonly kind: 'heNormal' };

export interface ParameterSpec {
  /** Dotted path, e.g. `layers.0.local.wq`. */
  readonly name: string;
  readonly shape: Shape;
  /** false for fixed buffers (the TPE frequencies): stored in checkpoints, never updated. */
  readonly trainable: boolean;
  readonly init: ParameterInit;
}

/** `specs` with every name prefixed by `prefix.`. */
export function prefixSpecs(prefix: string, specs: readonly ParameterSpec[]): ParameterSpec[] {
  return specs.map((s) => ({ ...s, name: `${prefix}.${s.name}` }));
}

/** An affine layer `name.w` [fanIn, fanOut], `name.b` [fanOut] (zeros). */
export function linearSpecs(
  name: string,
  fanIn: number,
  fanOut: number,
  init: 'xavierUniform' | 'heNormal' = 'xavierUniform',
): ParameterSpec[] {
  return [
    { name: `${name}.w`, shape: [fanIn, fanOut], trainable: true, init: { kind: init } },
    { name: `${name}.b`, shape: [fanOut], trainable: true, init: { kind: 'zeros' } },
  ];
}

/** A LayerNorm `name.gamma` [D] (ones), `name.beta` [D] (zeros). */
export function layerNormSpecs(name: string, dModel: number): ParameterSpec[] {
  return [
    { name: `${name}.gamma`, shape: [dModel], trainable: true, init: { kind: 'ones' } },
    { name: `${name}.beta`, shape: [dModel], trainable: true, init: { kind: 'zeros' } },
  ];
}

/**
 * The initial values of one parameter. The random stream depends only on `(seed, spec.name)`, so
 * adding, removing or reordering other parameters never changes this one.
 */
export function initParameterValue(spec: ParameterSpec, seed: number): Float32Array {
  const size = spec.shape.reduce((n, d) => n * d, 1);
  const out = new Float32Array(size);
  const init = spec.init;
  switch (init.kind) {
    case 'zeros':
      return out;
    case 'ones':
      return out.fill(1);
    case 'normal':
      return fillNormal(out, parameterRng(seed, spec.name), init.std);
    case 'xavierUniform': {
      const [fanIn, fanOut] = fans(spec);
      const limit = Math.sqrt(6 / (fanIn + fanOut));
      const rng = parameterRng(seed, spec.name);
      for (let i = 0; i < size; i++) out[i] = rng.range(-limit, limit);
      return out;
    }
    case 'heNormal': {
      const [fanIn] = fans(spec);
      return fillNormal(out, parameterRng(seed, spec.name), Math.sqrt(2 / fanIn));
    }
  }
}

/** Initial values of every spec, in spec order: `{ name → Float32Array }`. */
export function initParameterRecord(
  specs: readonly ParameterSpec[],
  seed: number,
): Record<string, Float32Array> {
  const out: Record<string, Float32Array> = {};
  for (const s of specs) out[s.name] = initParameterValue(s, seed);
  return out;
}

/** The generator of parameter `name` under `seed`: Rng([seed, FNV-1a(name)]). */
export function parameterRng(seed: number, name: string): Rng {
  return new Rng([seed, fnv1a32(name)]);
}

function fillNormal(out: Float32Array, rng: Rng, std: number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = std * rng.normal();
  return out;
}

function fans(spec: ParameterSpec): [number, number] {
  if (spec.shape.length !== 2) {
    throw new LfmError(
      'E_PARAM',
      `parameter '${spec.name}': ${spec.init.kind} needs a 2-D shape [fanIn, fanOut], got [${spec.shape.join(', ')}]`,
    );
  }
  return [spec.shape[0]!, spec.shape[1]!];
}
