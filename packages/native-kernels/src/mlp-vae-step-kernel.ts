import * as tf from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';
import { MLP_VAE_STEP_KERNEL, tfjsAleaState } from '@varia/core';
import type { NativeAddon } from './addon.js';
import { type StepLayer, type StepOperands, stepOperands } from './mlp-vae-step-operands.js';
import { sigmoidAgrees } from './sigmoid-probe.js';
import { asWasmBackend, byteOffset, withOutputs } from './wasm-heap.js';
import { forgetWeightFacts, keepWeightFacts, weightFactsTicket } from './weight-facts.js';

const KERNEL = MLP_VAE_STEP_KERNEL;

/** `leakyreluAlpha` of a dense layer's `_FusedMatMul` (what `Dense.apply` passes; no layer here is leaky). */
const LEAKY_ALPHA = 0.2;

/** Float32 regions of one scratch block, each starting on a 64-byte line. */
class Regions {
  private floats = 0;
  /** Reserves `size` floats; returns their float offset from the block's first line. */
  take(size: number): number {
    const at = this.floats;
    this.floats += Math.ceil(size / 16) * 16;
    return at;
  }
  /** The block's size in floats, with room to start on a line. */
  get size(): number {
    return this.floats + 16;
  }
}

/** Where the step keeps each intermediate (float offsets in its scratch block; see {@link plan}). */
interface Plan {
  eps: number;
  /** Each layer's output y (encoder, loc, s, decoder, output layer), and each layer's dx (−1: none). */
  y: number[];
  dx: number[];
  scale: number;
  z: number;
  dOut: number;
  variance: number;
  klScratch: number;
  dLoc: number;
  dS: number;
  size: number;
}

/** The step's intermediates, laid out in one block. */
function plan(ops: StepOperands): Plan {
  const r = new Regions();
  const n = ops.rows;
  const nl = n * ops.latent;
  const eps = r.take(nl);
  const y = ops.layers.map((l) => r.take(n * l.units));
  const scale = r.take(nl);
  const z = r.take(nl);
  const dOut = r.take(n * ops.cols);
  const variance = r.take(nl);
  const klScratch = r.take(nl);
  const dLoc = r.take(nl);
  const dS = r.take(nl);
  // every layer makes dx but the first (x is data)
  const dx = ops.layers.map((l, i) => (i === 0 ? -1 : r.take(n * l.inDim)));
  return { eps, y, dx, scale, z, dOut, variance, klScratch, dLoc, dS, size: r.size };
}

/**
 * {@link MLP_VAE_STEP_KERNEL} for the wasm backend: the fused training step's native calls in its order, with the
 * intermediates in one scratch block (freed, after the deferred update is joined, before it returns). Each call is
 * the one its own kernel makes — gemm with the weight-facts ticket, `denseBackwardAdam` with `facts` on — so the
 * same bits; the addon checks every region as it does for those kernels.
 */
export function nativeMlpVaeStep(addon: NativeAddon): KernelConfig {
  // the numbers the addon reads, kept between calls (a typed array made per call costs an allocation each time)
  const normal = new Float64Array(5);
  const sample = new Float64Array(6);
  const likelihood = new Float64Array(11);
  const kl = new Float64Array(7);
  const back = new Float64Array(9);
  const adam = new Float64Array(23);
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }): TensorInfo[] => {
    const backend = asWasmBackend(args.backend);
    const ops = stepOperands(backend, args.inputs, args.attrs);
    const { rows: n, cols, latent } = ops;
    const b = args.backend as tf.KernelBackend;
    // declined where the addon's σ is not the backend's (another wasm build): the separate kernels handle that
    const declined = ops.bernoulli && !sigmoidAgrees(addon, backend, tf.getKernel(tf.Sigmoid, 'wasm'));
    const p = plan(ops);
    // log(1 + x) by the backend's own Log1p kernel (what the step runs), freed with the step
    const xin =
      ops.log1p && !declined
        ? (tf.getKernel(tf.Log1p, 'wasm')!.kernelFunc({ inputs: { x: ops.x }, backend: b, attrs: {} }) as TensorInfo)
        : undefined;
    try {
      return withOutputs(backend, KERNEL, [[n], [n], [], [p.size]], (outs, heap) => {
        const [sums, klRows, misses, block] = outs as [TensorInfo, TensorInfo, TensorInfo, TensorInfo];
        const missed = (value: number) => {
          new Float32Array(heap, byteOffset(backend, misses), 1)[0] = value;
          b.disposeData(block.dataId);
          return [sums, klRows, misses];
        };
        if (declined) return missed(-1);
        const base = Math.ceil(byteOffset(backend, block) / 64) * 64;
        const at = (floats: number) => base + 4 * floats;
        const off = (t: TensorInfo) => byteOffset(backend, t);
        const xOff = off(ops.x);
        const layers = ops.layers;
        const E = ops.encoderLayers;
        const last = layers.length - 1;
        const forward = (i: number, input: number) => {
          const l = layers[i]!;
          const w = l.parts[0]!;
          addon.gemm(
            heap,
            false,
            false,
            n,
            l.units,
            l.inDim,
            1,
            input,
            0,
            off(w),
            0,
            at(p.y[i]!),
            off(l.parts[1]!),
            l.units,
            l.forward,
            LEAKY_ALPHA,
            weightFactsTicket(w.dataId),
          );
        };
        // ε ~ N(0, 1) from the seed, as STANDARD_NORMAL_KERNEL draws it
        const [k0, k1, k2] = tfjsAleaState(ops.seed);
        normal.set([n * latent, k0, k1, k2, at(p.eps)]);
        addon.standardNormal(heap, normal);
        // encoder, heads, z = μ + σ·ε, decoder, output layer
        let input = xin ? off(xin) : xOff;
        for (let i = 0; i < E; i++) {
          forward(i, input);
          input = at(p.y[i]!);
        }
        forward(E, input);
        forward(E + 1, input);
        sample.set([n * latent, at(p.y[E]!), at(p.y[E + 1]!), at(p.eps), at(p.scale), at(p.z)]);
        addon.normalSample(heap, sample);
        input = at(p.z);
        for (let i = E + 2; i <= last; i++) {
          forward(i, input);
          input = at(p.y[i]!);
        }
        // log p(x|z)'s row sums and ∂/∂(output); a batch the family does not take stops the step here
        likelihood.set([ops.family.code, n, cols, ops.g, xOff, at(p.y[last]!), off(sums), at(p.dOut)]);
        likelihood[8] = ops.table ? off(ops.table) : -1;
        likelihood[9] = ops.table ? ops.table.shape[0]! : 0;
        likelihood[10] = -1;
        const count = addon.likelihoodStep(heap, likelihood);
        if (count !== 0) return missed(count);
        kl.set([n, latent, at(p.y[E]!), at(p.scale), at(p.variance), at(p.klScratch), off(klRows)]);
        addon.normalKl(heap, kl);
        // backward, each layer's Adam step in place: the output layer (deferred), the decoder, the latent, the heads
        // (the loc head's dx adds the scale head's), the encoder
        const backward = (i: number, dy: number, x: number, dx: number, dxAdd = -1, defer = false) => {
          const l: StepLayer = layers[i]!;
          for (const t of l.parts) forgetWeightFacts(t.dataId);
          adam.set([n, l.inDim, l.units, dy, at(p.y[i]!), x]);
          for (let k = 0; k < 6; k++) adam[6 + k] = off(l.parts[k]!);
          adam[12] = dx;
          adam[13] = l.backward;
          adam.set(ops.adam, 14);
          adam[20] = dxAdd;
          adam[21] = defer ? 1 : 0;
          adam[22] = 1;
          keepWeightFacts(l.parts[0]!.dataId, addon.denseBackwardAdam(heap, adam));
        };
        const inputOf = (i: number) =>
          i === 0 ? (xin ? off(xin) : xOff) : i === E + 2 ? at(p.z) : at(p.y[i === E + 1 ? E - 1 : i - 1]!);
        let written = 0; // layers updated so far, from the output layer back
        try {
          backward(last, at(p.dOut), inputOf(last), at(p.dx[last]!), -1, true);
          written++;
          for (let i = last - 1; i >= E + 2; i--) {
            backward(i, at(p.dx[i + 1]!), inputOf(i), at(p.dx[i]!));
            written++;
          }
          back.set([
            n * latent,
            at(p.y[E]!),
            at(p.scale),
            at(p.variance),
            at(p.eps),
            at(p.dx[E + 2]!),
            ops.h,
            at(p.dLoc),
            at(p.dS),
          ]);
          addon.normalBackward(heap, back);
          backward(E + 1, at(p.dS), inputOf(E + 1), at(p.dx[E + 1]!));
          written++;
          backward(E, at(p.dLoc), inputOf(E), at(p.dx[E]!), at(p.dx[E + 1]!));
          written++;
          let dy = at(p.dx[E]!);
          for (let i = E - 1; i >= 0; i--) {
            backward(i, dy, inputOf(i), i === 0 ? -1 : at(p.dx[i]!));
            written++;
            dy = i === 0 ? -1 : at(p.dx[i]!);
          }
        } catch (e) {
          // the deferred update reads the block: joined before the block goes (its own failure is not this error)
          joinQuietly(addon);
          throw withLayersWritten(e, written);
        }
        try {
          addon.joinDeferred();
        } catch (e) {
          throw withLayersWritten(e, layers.length);
        }
        new Float32Array(heap, byteOffset(backend, misses), 1)[0] = 0;
        b.disposeData(block.dataId);
        return [sums, klRows, misses];
      });
    } finally {
      if (xin) b.disposeData(xin.dataId);
    }
  };
  return { kernelName: KERNEL, backendName: 'wasm', kernelFunc: kernelFunc as KernelFunc };
}

/**
 * The error of a step that failed after updating `count` layers (from the output layer back): it carries that count
 * as `layersWritten` (MLP_VAE_STEP_KERNEL's contract), so the caller can count the updates that stay applied.
 */
function withLayersWritten(e: unknown, count: number): unknown {
  if (count > 0 && typeof e === 'object' && e !== null)
    Object.defineProperty(e, 'layersWritten', { value: count, configurable: true, writable: true });
  return e;
}

/** Joins the deferred update while another error is on its way. */
function joinQuietly(addon: NativeAddon): void {
  try {
    addon.joinDeferred();
  } catch {
    // the step's own error is the one reported
  }
}
