import * as tf from '@tensorflow/tfjs-core';
import { ArgumentError, DENSE_BACKWARD_ADAM_KERNEL, JOIN_DEFERRED_KERNEL, NORMAL_BACKWARD_KERNEL } from '@varia/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon } from './addon.js';
import { disableNativeKernels, enableNativeKernels } from './enable.js';
import { expectSameBits, float32Bits, randomArray, skipNative } from './test-support.js';
import { asWasmBackend, heapBuffer } from './wasm-heap.js';

// `deferUpdate`: dW's blocks and W's Adam step run on in the helpers after the kernel returns, until a join. These
// tests check the bits against the same call without it, and that every native kernel that touches the deferred
// operands (or any kernel at all, except the two that check their operands) waits for the job first.

const ADAM = {
  learningRate: 0.01,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  beta1Power: 0.9 ** 2,
  beta2Power: 0.999 ** 2,
};
const STATE = ['kernel', 'bias', 'kernelM', 'kernelV', 'biasM', 'biasV'] as const;
const RUNS = Number(process.env.VARIA_PROPERTY_RUNS ?? 20);

/** A layer's inputs and Adam state, every tensor with data of its own (as a trainer's variables). */
function layerInputs(batch: number, inDim: number, units: number, seed: number): Record<string, tf.Tensor> {
  const t = (shape: number[], k: number, scale = 1) =>
    tf.tensor(
      randomArray(
        shape.reduce((a, b) => a * b, 1),
        seed + k,
      ).map((v) => v * scale),
      shape,
    );
  const dy = t([batch, units], 0);
  return {
    dy,
    y: tf.relu(t([batch, units], 1)),
    x: t([batch, inDim], 2),
    kernel: t([inDim, units], 3),
    bias: t([units], 4),
    kernelM: t([inDim, units], 5, 0.01),
    kernelV: tf.square(t([inDim, units], 6, 0.01)),
    biasM: t([units], 7, 0.01),
    biasV: tf.square(t([units], 8, 0.01)),
  };
}

function backwardAdam(inputs: Record<string, tf.Tensor>, activation: string, inputGradient: boolean, defer: boolean) {
  return tf.engine().runKernel(DENSE_BACKWARD_ADAM_KERNEL, inputs, {
    activation,
    inputGradient,
    ...ADAM,
    ...(defer ? { deferUpdate: true } : {}),
  } as unknown as tf.NamedAttrMap) as tf.Tensor[];
}

const join = () => tf.engine().runKernel(JOIN_DEFERRED_KERNEL, {});
const heap = () => heapBuffer(asWasmBackend(tf.backend()))!;
/** The bits of the written state and of the outputs. */
const written = (inputs: Record<string, tf.Tensor>, outs: tf.Tensor[]) => [
  ...STATE.map((name) => float32Bits(inputs[name]!)),
  ...outs.map(float32Bits),
];
function expectWritten(got: Uint32Array[], want: Uint32Array[]): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) expectSameBits(got[i]!, want[i]!, i < STATE.length ? STATE[i]! : 'dx');
}

describe.skipIf(skipNative)(`native ${DENSE_BACKWARD_ADAM_KERNEL} with deferUpdate`, () => {
  const addon = skipNative ? undefined : loadAddon();
  const pending = () => addon!.deferredPending();

  for (const parallel of [1, 2]) {
    describe(`parallel: ${parallel}`, () => {
      beforeAll(() => {
        enableNativeKernels({ parallel });
      });
      afterAll(() => {
        disableNativeKernels();
      });

      it('gives the bits of the call without it, after the join (random shapes, every activation)', () => {
        const before = tf.memory().numTensors;
        let deferred = 0;
        fc.assert(
          fc.property(
            fc.integer({ min: 1, max: 200 }),
            fc.integer({ min: 16, max: 500 }),
            fc.integer({ min: 1, max: 500 }),
            fc.constantFrom('linear', 'relu', 'sigmoid', 'tanh'),
            fc.boolean(),
            fc.integer({ min: 0, max: 1000 }),
            (batch, inDim, units, activation, inputGradient, seed) => {
              tf.tidy(() => {
                const a = layerInputs(batch, inDim, units, seed);
                const b = layerInputs(batch, inDim, units, seed);
                const want = written(a, backwardAdam(a, activation, inputGradient, false));
                const outs = backwardAdam(b, activation, inputGradient, true);
                if (pending()) deferred++;
                join();
                expect(pending()).toBe(false);
                expectWritten(written(b, outs), want);
              });
            },
          ),
          { numRuns: RUNS, seed: 17 + parallel },
        );
        // on one thread nothing is deferred; on two, the layers with dW in row blocks are
        if (parallel === 1) expect(deferred).toBe(0);
        else expect(deferred).toBeGreaterThan(0);
        expect(tf.memory().numTensors).toBe(before);
      });
    });
  }

  describe('parallel: 2, the joins', () => {
    beforeAll(() => {
      enableNativeKernels({ parallel: 2 });
    });
    afterAll(() => {
      disableNativeKernels();
    });

    /**
     * Posts MNIST's output layer (400 → 784) deferred; returns its inputs and a copy updated without deferring. (After
     * a job whose helper had not started when it was joined, the next 16 or more calls run at once: setParallel starts
     * afresh.)
     */
    function posted(seed: number) {
      const reference = layerInputs(128, 400, 784, seed);
      const want = written(reference, backwardAdam(reference, 'linear', true, false));
      addon!.setParallel(2);
      for (let attempt = 0; ; attempt++) {
        const inputs = layerInputs(128, 400, 784, seed);
        const outs = backwardAdam(inputs, 'linear', true, true);
        if (pending() || attempt > 16) {
          expect(pending()).toBe(true);
          return { inputs, want, check: () => expectWritten(written(inputs, outs), want) };
        }
        expectWritten(written(inputs, outs), want); // run at once: the same bits
      }
    }

    it('a small layer and normalBackward on other tensors run beside the job', () => {
      tf.tidy(() => {
        const job = posted(1);
        const small = layerInputs(128, 20, 400, 2);
        backwardAdam(small, 'relu', true, false);
        const [loc, scale, variance, eps, dz] = [0, 1, 2, 3, 4].map((k) =>
          tf.tensor(randomArray(128 * 20, k), [128, 20]),
        );
        tf.engine().runKernel(
          NORMAL_BACKWARD_KERNEL,
          { loc: loc!, scale: scale!, variance: variance!, eps: eps!, dz: dz! },
          {
            h: 0.5,
          },
        );
        expect(pending()).toBe(true);
        join();
        job.check();
      });
    });

    it('a layer that reads a deferred moment waits for the job (and reads the updated values)', () => {
      tf.tidy(() => {
        const job = posted(3);
        // x = W's first moment [400, 784] (written by the job): a one-unit layer on the calling thread alone
        const reader = (x: tf.Tensor) => ({ ...layerInputs(400, 784, 1, 4), x });
        const outs = backwardAdam(reader(job.inputs.kernelM!), 'linear', true, false);
        expect(pending()).toBe(false);
        job.check();
        const again = reader(job.inputs.kernelM!);
        expectSameBits(float32Bits(outs[0]!), float32Bits(backwardAdam(again, 'linear', true, false)[0]!), 'dx');
      });
    });

    it('every other kernel waits for the job first, also when it refuses its operands', () => {
      tf.tidy(() => {
        const job = posted(5);
        tf.matMul(job.inputs.x!, job.inputs.x!, false, true);
        expect(pending()).toBe(false);
        job.check();
        posted(6);
        expect(() => addon!.sum(heap(), -4, 0, 1, 1, 1)).toThrow(ArgumentError);
        expect(pending()).toBe(false);
      });
    });

    it('the wasm memory grows in place while a job runs (its pointers stay valid)', () => {
      tf.tidy(() => {
        const size = heap().byteLength;
        const job = posted(7);
        const big = tf.fill([size / 4 + 1024], 1); // more than the memory holds: it must grow
        expect(heap().byteLength).toBeGreaterThan(size);
        big.dispose();
        join();
        job.check();
      });
    });

    it('refuses a deferUpdate that is not a boolean, before anything is written', () => {
      tf.tidy(() => {
        const inputs = layerInputs(8, 16, 4, 9);
        const saved = STATE.map((name) => float32Bits(inputs[name]!));
        expect(() =>
          tf.engine().runKernel(DENSE_BACKWARD_ADAM_KERNEL, inputs, {
            activation: 'relu',
            inputGradient: true,
            ...ADAM,
            deferUpdate: 1,
          } as unknown as tf.NamedAttrMap),
        ).toThrow(/attribute "deferUpdate" must be a boolean/);
        expect(STATE.map((name) => float32Bits(inputs[name]!))).toEqual(saved);
        // batch, inDim, units 1, no dx, linear, finite Adam numbers, no addend: only `defer` is wrong
        const numbers = new Float64Array(22).fill(0.5);
        numbers.set([1, 1, 1], 0);
        numbers[12] = -1;
        numbers[13] = 0;
        numbers[20] = -1;
        numbers[21] = 2;
        expect(() => addon!.denseBackwardAdam(heap(), numbers)).toThrow(/defer must be 1/);
      });
    });
  });
});
