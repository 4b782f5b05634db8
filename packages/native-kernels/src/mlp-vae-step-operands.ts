import type { DataId, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { LIKELIHOOD_STEP_KERNELS, MLP_VAE_STEP_KERNEL, MLP_VAE_STEP_LAYER_INPUTS } from '@varia/core';
import { HYPER } from './adam-kernel.js';
import { DELTA_CODES } from './dense-backward-kernel.js';
import { kernelInputError, kernelShapeError } from './errors.js';
import { FAMILIES, type FamilySpec } from './likelihood-step-kernels.js';
import { ACTIVATION_CODES } from './matmul-kernels.js';
import { heapEntry, type WasmBackendInternals } from './wasm-heap.js';

const KERNEL = MLP_VAE_STEP_KERNEL;

/** The largest log k! table the addon's likelihood step takes (its counts are read through float32 indices). */
const MAX_TABLE = 2 ** 24;

/** The input names of layer i (`kernel<i>`, …), made once per index. */
const names: (readonly string[])[] = [];
function namesOf(i: number): readonly string[] {
  for (let k = names.length; k <= i; k++) names.push(MLP_VAE_STEP_LAYER_INPUTS.map((part) => `${part}${k}`));
  return names[i]!;
}

/** One dense layer of the step: W [inDim, units], b and their moments, and its activation's codes. */
export interface StepLayer {
  /** W, b, W's m and v, b's m and v (the order of `MLP_VAE_STEP_LAYER_INPUTS`, which `denseBackwardAdam` takes). */
  parts: TensorInfo[];
  inDim: number;
  units: number;
  /** The activation's code for the addon's gemm (`ACTIVATION_CODES`) and for its backward pass (`DELTA_CODES`). */
  forward: number;
  backward: number;
}

/** The checked operands of {@link MLP_VAE_STEP_KERNEL}. */
export interface StepOperands {
  x: TensorInfo;
  table: TensorInfo | undefined;
  rows: number;
  cols: number;
  latent: number;
  /** Every layer: encoder layers, loc head, scale head, decoder layers, output layer. */
  layers: StepLayer[];
  encoderLayers: number;
  family: FamilySpec;
  bernoulli: boolean;
  log1p: boolean;
  seed: number;
  g: number;
  h: number;
  /** Adam's η, β₁, β₂, ε, β₁ᵗ, β₂ᵗ. */
  adam: number[];
}

/** A whole number in [lo, hi], or a refusal naming the attribute. */
function count(attrs: NamedAttrMap | undefined, name: string, lo: number, hi: number): number {
  const v = attrs?.[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi)
    throw kernelInputError(KERNEL, name, `attribute "${name}" must be an integer in [${lo}, ${hi}], got ${String(v)}`);
  return v;
}

/** A finite number attribute, or a refusal naming it. */
function finite(attrs: NamedAttrMap | undefined, name: string): number {
  const v = attrs?.[name];
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw kernelInputError(KERNEL, name, `attribute "${name}" must be a finite number, got ${String(v)}`);
  return v;
}

/** Input `name`, present and on the backend (not disposed), or a refusal naming it. */
function present(backend: WasmBackendInternals, inputs: NamedTensorInfoMap, name: string): TensorInfo {
  const t = inputs[name];
  if (!t) throw kernelInputError(KERNEL, name, `missing input "${name}"`);
  if (!backend.dataIdMap.has(t.dataId))
    throw kernelInputError(KERNEL, name, `"${name}" is not on the wasm backend (disposed?)`);
  return t;
}

/** A float32 input of exactly `shape`, on the backend, or a refusal naming it. */
function shaped(
  backend: WasmBackendInternals,
  inputs: NamedTensorInfoMap,
  name: string,
  shape: readonly number[],
): TensorInfo {
  const t = present(backend, inputs, name);
  if (t.dtype !== 'float32') throw kernelInputError(KERNEL, name, `"${name}" must be float32, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i]))
    throw kernelShapeError(
      KERNEL,
      name,
      `"${name}" must have shape [${shape.join(', ')}], got [${t.shape.join(', ')}]`,
    );
  return t;
}

/** Layer i's tensors, W's input width `inDim` given (its units read from W), and its activation. */
function layerOf(
  backend: WasmBackendInternals,
  inputs: NamedTensorInfoMap,
  i: number,
  inDim: number,
  activation: unknown,
): StepLayer {
  const [w, b, wm, wv, bm, bv] = namesOf(i) as [string, string, string, string, string, string];
  const kernel = present(backend, inputs, w);
  const units = kernel.shape.length === 2 ? kernel.shape[1]! : 0;
  if (units < 1) throw kernelShapeError(KERNEL, w, `"${w}" must be a matrix [${inDim}, units ≥ 1]`);
  const parts = [
    shaped(backend, inputs, w, [inDim, units]),
    shaped(backend, inputs, b, [units]),
    shaped(backend, inputs, wm, [inDim, units]),
    shaped(backend, inputs, wv, [inDim, units]),
    shaped(backend, inputs, bm, [units]),
    shaped(backend, inputs, bv, [units]),
  ];
  const name = typeof activation === 'string' ? activation : '';
  const forward = ACTIVATION_CODES[name];
  const backward = DELTA_CODES[name];
  if (forward === undefined || backward === undefined)
    throw kernelInputError(
      KERNEL,
      'activations',
      `layer ${i}'s activation ${JSON.stringify(activation)} is not "linear", "relu" or "sigmoid"`,
    );
  return { parts, inDim, units, forward, backward };
}

/**
 * Every written tensor (each layer's W, b and moments) is its data's only holder and no other operand's data: the
 * kernel writes them in place.
 */
function checkWritten(backend: WasmBackendInternals, ops: StepOperands): void {
  const seen = new Set<DataId>([ops.x.dataId]);
  if (ops.table) seen.add(ops.table.dataId);
  for (let i = 0; i < ops.layers.length; i++) {
    const parts = ops.layers[i]!.parts;
    for (let k = 0; k < parts.length; k++) {
      const name = namesOf(i)[k]!;
      const t = parts[k]!;
      if (heapEntry(backend, t).refCount !== 1)
        throw kernelInputError(KERNEL, name, `"${name}" is overwritten in place: its data must have no other holder`);
      if (seen.has(t.dataId))
        throw kernelInputError(KERNEL, name, `"${name}" is overwritten in place: it must not be another operand`);
      seen.add(t.dataId);
    }
  }
}

/**
 * The inputs and attributes of {@link MLP_VAE_STEP_KERNEL}, checked: x [n ≥ 1, D]; layers whose shapes chain from D
 * through the encoder to two heads of one width L, from L through the decoder back to D; a known family (with its
 * table for `poisson`); every number finite; and the written tensors each their data's only holder.
 * @throws ArgumentError or ShapeError naming the input or attribute, before anything is written.
 */
export function stepOperands(
  backend: WasmBackendInternals,
  inputs: NamedTensorInfoMap,
  attrs: NamedAttrMap | undefined,
): StepOperands {
  const x = present(backend, inputs, 'x');
  if (x.dtype !== 'float32' || x.shape.length !== 2 || x.shape[0]! < 1 || x.shape[1]! < 1)
    throw kernelInputError(KERNEL, 'x', '"x" must be a float32 matrix [n ≥ 1, D ≥ 1]');
  const [rows, cols] = x.shape as [number, number];
  const total = count(attrs, 'layers', 4, 1024);
  const encoderLayers = count(attrs, 'encoderLayers', 1, total - 3);
  const activations = attrs?.activations;
  if (!Array.isArray(activations) || activations.length !== total)
    throw kernelInputError(KERNEL, 'activations', `attribute "activations" must name ${total} activations`);
  const familyName = String(attrs?.family);
  if (!Object.hasOwn(LIKELIHOOD_STEP_KERNELS, familyName))
    throw kernelInputError(KERNEL, 'family', `attribute "family" must be bernoulli or poisson, got ${familyName}`);
  const family = FAMILIES[familyName as keyof typeof FAMILIES];
  const layers: StepLayer[] = [];
  let width = cols;
  for (let i = 0; i < encoderLayers; i++) {
    layers.push(layerOf(backend, inputs, i, width, activations[i]));
    width = layers[i]!.units;
  }
  const loc = layerOf(backend, inputs, encoderLayers, width, activations[encoderLayers]);
  const scale = layerOf(backend, inputs, encoderLayers + 1, width, activations[encoderLayers + 1]);
  if (scale.units !== loc.units) {
    const name = namesOf(encoderLayers + 1)[0]!;
    throw kernelShapeError(KERNEL, name, `"${name}" must have the loc head's ${loc.units} units`);
  }
  layers.push(loc, scale);
  width = loc.units;
  for (let i = encoderLayers + 2; i < total; i++) {
    layers.push(layerOf(backend, inputs, i, width, activations[i]));
    width = layers[i]!.units;
  }
  if (width !== cols) {
    const name = namesOf(total - 1)[0]!;
    throw kernelShapeError(KERNEL, name, `"${name}" must have x's ${cols} columns as its units`);
  }
  const table = family.table ? present(backend, inputs, 'table') : undefined;
  if (
    table &&
    (table.dtype !== 'float32' || table.shape.length !== 1 || !(table.shape[0]! >= 1 && table.shape[0]! <= MAX_TABLE))
  )
    throw kernelInputError(KERNEL, 'table', `"table" must be a float32 vector of 1 to 2^24 values`);
  const log1p = attrs?.log1p;
  if (typeof log1p !== 'boolean') throw kernelInputError(KERNEL, 'log1p', 'attribute "log1p" must be a boolean');
  const ops: StepOperands = {
    x,
    table,
    rows,
    cols,
    latent: loc.units,
    layers,
    encoderLayers,
    family,
    bernoulli: familyName === 'bernoulli',
    log1p,
    seed: finite(attrs, 'seed'),
    g: finite(attrs, 'g'),
    h: finite(attrs, 'h'),
    adam: HYPER.map((name) => finite(attrs, name)),
  };
  checkWritten(backend, ops);
  return ops;
}
