import { toyGaussian2d } from '@varia/datasets';
import type { Args } from './args.js';
import { type ChildRun, plainBaselines as plainBaselinesOf } from './child.js';
import { type EncodeSpec, ENCODE_WORKLOADS } from './encode-workloads.js';
import { firstRows } from './first-rows.js';
import { log } from './log.js';
import { memoryAfterRun } from './memory-probe.js';
import type { WorkloadResult } from './report.js';
import { finish, timingBaseline, variaResult, wasmHeapBytes } from './results.js';
import { SPARSE_INPUT_KERNELS, sparseInputCheck } from './sparse-train.js';
import type { torchContenders } from './torch-baselines.js';
import { TRAIN_WORKLOADS, type TrainName, type TrainSpec, trainSplit } from './train-workloads.js';
import {
  MNIST_SHAPE,
  MNIST_TRAINING,
  type RunSizes,
  TOY_TRAINING,
  type TrainExtras,
  baselineEncode,
  baselineToy,
  csrOfDense,
  handWrittenTrain,
  naiveTrain,
  variaEncode,
  variaToy,
  variaTrain,
} from './workloads.js';

/** What the timed workloads need from the run. */
export interface TrainingContext {
  args: Args;
  backend: string;
  multithreaded: boolean;
  sizes: RunSizes;
  trainRows: number;
  want: (key: string) => boolean;
  torch: ReturnType<typeof torchContenders>;
  plainWasm: ChildRun | undefined;
}

/**
 * The timed workloads of `--only` (the training workloads of train-workloads.ts, the encode workloads, toy2d-seed):
 * varia, then each baseline, then the PyTorch rounds; and mnist-vae-train's memory peak.
 */
export async function runTrainingWorkloads(
  ctx: TrainingContext,
): Promise<{ workloads: WorkloadResult[]; mnistPeak: Record<string, unknown> | undefined }> {
  const { args, backend, multithreaded, sizes, trainRows, want, plainWasm } = ctx;
  const q = args.quick;
  const { torchBaselines, torchRounds } = ctx.torch;
  const plainBaselines = (w: WorkloadResult): void => plainBaselinesOf(plainWasm, w);
  const workloads: WorkloadResult[] = [];
  let mnistPeak: Record<string, unknown> | undefined;

  for (const [name, spec] of Object.entries(TRAIN_WORKLOADS) as [TrainName, TrainSpec][]) {
    if (!args.only.has(name)) continue;
    const { likelihood, sparseInput } = spec;
    const data = firstRows(trainSplit(likelihood, 'train'), trainRows);
    const shape = { ...MNIST_SHAPE, likelihood };
    const extras: TrainExtras = sparseInput ? { sparseInput: true } : {};
    log(`${name}: varia (${sizes.epochs} epoch of ${data.rows} after a ${sizes.warmupExamples}-example warm-up)`);
    const v = await variaTrain(data, likelihood, sizes, {
      ...extras,
      ...(sparseInput ? { test: trainSplit(likelihood, 'test'), countKernels: SPARSE_INPUT_KERNELS } : {}),
    });
    if (name === 'mnist-vae-train') {
      const wasmHeap = wasmHeapBytes();
      mnistPeak = {
        note: 'sampled every 8 steps during the timed fit; max_rss_bytes is the process peak at the end of the run (includes parsing the MNIST JSON)',
        rss_bytes: v.memory.rssBytes,
        heap_used_bytes: v.memory.heapUsedBytes,
        tf_num_bytes: v.memory.tfBytes,
        max_rss_bytes: process.resourceUsage().maxRSS * 1024,
        ...(wasmHeap !== undefined ? { wasm_heap_bytes: wasmHeap } : {}),
      };
    }
    const w = variaResult(
      name,
      backend,
      'examples_per_sec',
      v,
      `VAE.fit, MLP ${MNIST_SHAPE.inputDim}-${MNIST_SHAPE.hidden}-${MNIST_SHAPE.latentDim}-${MNIST_SHAPE.hidden}-${MNIST_SHAPE.inputDim} ReLU, batch ${MNIST_TRAINING.batchSize}, Adam ${MNIST_TRAINING.learningRate}, ${likelihood === 'bernoulli' ? 'Bernoulli likelihood on MNIST intensities' : "Poisson likelihood on MNIST counts (log1p input; the loss is one seed's, and it varies widely over seeds in both libraries: bench/README.md, The Poisson loss against PyTorch's)"}, analytic KL; ${sizes.epochs} full epoch(s) of ${data.rows} images timed (wall time of fit) after a warm-up fit on ${sizes.warmupExamples}${sparseInput ? `; fit's sparseInput: true (the encoder's first layer from the batch's non-zeros); PyTorch: the faster (CPU time on 1 thread) of its dense training and torch.sparse.mm(COO batch, Wᵀ) + b` : ''}`,
      { loss: v.loss, memory: memoryAfterRun(v.tensorsPerEpoch), multithreaded },
    );
    if (sparseInput) {
      log('  varia dense (the same fit without sparseInput: speed and −ELBO beside the sparse run)');
      const dense = await variaTrain(data, likelihood, sizes, {
        test: trainSplit(likelihood, 'test'),
        countKernels: SPARSE_INPUT_KERNELS,
      });
      w.baselines.varia_dense = timingBaseline(dense, `${spec.denseTwin}: the same fit, dense first layer`);
      w.sparse_input = sparseInputCheck(v, dense);
    }
    // the hand-written and tf.layers loops are dense: measured beside the dense twin, not again here
    if (want('hand_written') && !sparseInput) {
      log('  hand-written tfjs (transpose-free dense gradient)');
      w.baselines.hand_written = timingBaseline(await handWrittenTrain(data, shape, 'transpose-free', sizes));
    }
    if (want('hand_written_default_grad') && !sparseInput) {
      log(`  hand-written tfjs with default gradients (${Math.min(sizes.slowBaselineExamples, data.rows)} examples)`);
      w.baselines.hand_written_default_grad = timingBaseline(
        await handWrittenTrain(data, shape, 'default', sizes, sizes.slowBaselineExamples),
        'the hand-written loop with tfjs default gradients (transposed matMuls)',
      );
    }
    if (want('tf_layers') && !sparseInput) {
      log(`  tf.layers (${Math.min(sizes.slowBaselineExamples, data.rows)} examples)`);
      w.baselines.tf_layers = timingBaseline(
        await naiveTrain(data, shape, sizes),
        'tf.layers.dense + default gradients + per-step tensor1d/gather',
      );
    }
    const trainConfig = {
      workload: 'train',
      likelihood,
      hidden: MNIST_SHAPE.hidden,
      latent: MNIST_SHAPE.latentDim,
      batch_size: MNIST_TRAINING.batchSize,
      lr: MNIST_TRAINING.learningRate,
      epochs: sizes.epochs,
      warmup_examples: sizes.warmupExamples,
      sparse: sparseInput,
    };
    torchBaselines(w, data, trainConfig);
    await torchRounds(w, data, trainConfig, () => variaTrain(data, likelihood, sizes, extras));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  // the encode rows, declared once: MNIST dense and as CSR, and single-cell-like counts as CSR (hand-written and
  // tf.layers baselines only for the dense row)
  for (const [name, spec] of Object.entries(ENCODE_WORKLOADS) as [keyof typeof ENCODE_WORKLOADS, EncodeSpec][]) {
    if (!args.only.has(name)) continue;
    const data = spec.data(q);
    const { sparse, model } = spec;
    const input = sparse ? csrOfDense(data) : data;
    const given = sparse
      ? `given as a CSR SparseMatrix (${input.data.length.toLocaleString('en-US')} stored values, ${((100 * input.data.length) / data.data.length).toFixed(1)} % of the cells)`
      : 'given as a dense Matrix';
    log(`${name}: ${data.rows} rows ${given}, best of ${sizes.encodeRepeats}`);
    const v = await variaEncode(input, sizes.encodeRepeats, model);
    const w = variaResult(
      name,
      backend,
      'examples_per_sec',
      v,
      `VAE.encode (posterior mean) of ${data.rows} ${spec.what} ${given} in one call, model ${model.inputDim}-${model.hidden}-${model.latentDim} ${model.likelihood}, upload and read-back included; best of ${sizes.encodeRepeats} after a warm-up${sparse ? '; PyTorch: the best of its dense product and torch.sparse CSR @ dense (CSR built before the clock)' : ''}`,
      { multithreaded },
    );
    if (want('hand_written') && !sparse)
      w.baselines.hand_written = timingBaseline(await baselineEncode(data, 'hand-written', sizes.encodeRepeats));
    if (want('tf_layers') && !sparse)
      w.baselines.tf_layers = timingBaseline(
        await baselineEncode(data, 'tf-layers', sizes.encodeRepeats),
        'encoder.predict with one batch of all rows',
      );
    const encodeConfig = {
      workload: 'encode',
      likelihood: model.likelihood,
      hidden: model.hidden,
      latent: model.latentDim,
      encode_repeats: sizes.encodeRepeats,
      sparse,
    };
    torchBaselines(w, data, encodeConfig);
    await torchRounds(w, data, encodeConfig, () => variaEncode(input, sizes.encodeRepeats, model));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  if (args.only.has('toy2d-seed')) {
    const data = toyGaussian2d({ seed: 0 }).x;
    log(
      `toy2d-seed: the classic example's full run (${data.rows} points, ${TOY_TRAINING.epochs} epochs, batch ${TOY_TRAINING.batchSize})`,
    );
    const v = await variaToy(data);
    const w = variaResult(
      'toy2d-seed',
      backend,
      'seconds',
      v,
      `the classic example: toy2d (${data.rows} points), hidden ${TOY_TRAINING.hidden}, latent ${TOY_TRAINING.latentDim}, Adam ${TOY_TRAINING.learningRate}, ${TOY_TRAINING.epochs} epochs, batch ${TOY_TRAINING.batchSize}, Gaussian likelihood; seconds for model construction + fit`,
      {
        loss: v.loss,
        multithreaded,
      },
    );
    if (want('hand_written')) {
      log('  hand-written tfjs');
      w.baselines.hand_written = timingBaseline(await baselineToy(data, 'hand-written'));
    }
    if (want('tf_layers')) {
      log('  tf.layers');
      w.baselines.tf_layers = timingBaseline(await baselineToy(data, 'tf-layers'));
    }
    const toyConfig = {
      workload: 'toy2d',
      likelihood: 'gaussian',
      hidden: TOY_TRAINING.hidden,
      latent: TOY_TRAINING.latentDim,
      batch_size: TOY_TRAINING.batchSize,
      lr: TOY_TRAINING.learningRate,
      epochs: TOY_TRAINING.epochs,
    };
    torchBaselines(w, data, toyConfig);
    await torchRounds(w, data, toyConfig, () => variaToy(data));
    plainBaselines(w);
    workloads.push(finish(w));
  }

  return { workloads, mnistPeak };
}
