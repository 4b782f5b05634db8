/**
 * The name of a boolean property that a TensorFlow.js `KernelConfig` for `BatchMatMul` may carry to say that the
 * kernel reads transposed operands at full speed. `@varia/native-kernels` sets it on the kernels it installs;
 * `@varia/layers`' dense backward pass reads it to choose between transpose flags (one matMul) and explicit
 * transposes (a copy, then a plain matMul — ~10× faster on tfjs-wasm's own kernel).
 */
export const FAST_TRANSPOSED_MATMUL = 'variaFastTransposedOperands';

/**
 * The name of an optional TensorFlow.js kernel that performs one fused Adam step. Inputs `variable`, `gradient`,
 * `firstMoment`, `secondMoment` (float32, one shape); attributes `learningRate`, `beta1`, `beta2`, `epsilon`,
 * `beta1Power` (β₁ᵗ), `beta2Power` (β₂ᵗ); outputs the new variable, first and second moments:
 *
 * m′ = β₁m + (1−β₁)g, v′ = β₂v + (1−β₂)g², w′ = w − η·(m′/(1−β₁ᵗ)) / (√(v′/(1−β₂ᵗ)) + ε).
 *
 * `@varia/native-kernels` registers it for the wasm backend (its own order of operations), `@varia/wasm-kernels` too
 * (tfjs's Adam's operations, the same bits as `tf.train.adam`); `@varia/layers`' `FusedAdamOptimizer` runs it where
 * the active backend has it and falls back to tfjs's Adam (the same math as separate kernels) elsewhere.
 */
export const ADAM_UPDATE_KERNEL = 'VariaAdamUpdate';

/**
 * The name of an optional TensorFlow.js kernel computing log Γ(x) element-wise for float32 x > 0 (NaN for x ≤ 0),
 * input `x`, one output. `@varia/native-kernels` registers it for the wasm backend; `@varia/distributions`' `lgamma`
 * uses it for the value where the active backend has it (its gradient, ψ(x), is unchanged) and composes tfjs ops
 * elsewhere.
 */
export const LGAMMA_KERNEL = 'VariaLgamma';

/**
 * The name of an optional TensorFlow.js kernel looking float32 values up in a table: inputs `x` (float32) and `table`
 * (float32, 1-D); outputs y of x's shape, y = table[x] where x is an integer in [0, table size) and NaN elsewhere,
 * and a float32 scalar counting the values that were not (the misses). `@varia/native-kernels` registers it for the
 * wasm backend; `@varia/vae`'s fused training step looks log x! of count data up with it (the table of
 * `@varia/distributions`' `hostLogFactorial`, the same values) and falls back to that function on any miss.
 */
export const TABLE_LOOKUP_KERNEL = 'VariaTableLookup';

/**
 * The name of an optional TensorFlow.js kernel y = a·b − c for float32 a, b, c of one shape (no broadcasting), each
 * product and difference rounded to float32 on its own — the same bits as a `Multiply` kernel followed by a `Sub`,
 * in one pass. Registered by `@varia/native-kernels` for the wasm backend; `@varia/vae`'s fused training step uses it
 * for x·ℓ − softplus(ℓ) (Bernoulli) and x·log λ − λ (Poisson).
 */
export const MUL_SUB_KERNEL = 'VariaMulSub';

/**
 * The name of an optional TensorFlow.js kernel y = α·x + β·z for float32 x, z of one shape and float32 attributes
 * `alpha`, `beta`, each operation rounded to float32 on its own — the same bits as two `Multiply` kernels (by tensors
 * filled with α and β) and an `Add`, in one pass. Registered by `@varia/native-kernels` for the wasm backend;
 * `@varia/vae`'s fused training step uses it for the gradient dy·x + (−dy)·σ(ℓ) of the Bernoulli (and Poisson)
 * log-likelihood.
 */
export const SCALED_SUM_KERNEL = 'VariaScaledSum';

/**
 * The names of three optional TensorFlow.js kernels for a diagonal Gaussian posterior q = N(μ, σ²) with σ = exp(s/2)
 * and a standard-normal prior, each the same bits as the kernels it stands for (`Multiply`, `Exp`, `Square`, `Log`,
 * `Add`, `Sub`, `RealDiv`, a row `Sum`), in one pass — used by `@varia/vae`'s fused training step:
 *
 * - `NORMAL_SAMPLE_KERNEL`: inputs `loc`, `s`, `eps` [n, d] → σ = exp(s·½) and z = μ + σ·ε;
 * - `NORMAL_KL_KERNEL`: inputs `loc`, `scale` [n, d] → σ² [n, d] and Σⱼ ½(σ² + μ² − 1 − log σ²) [n];
 * - `NORMAL_BACKWARD_KERNEL`: inputs `loc`, `scale`, `variance`, `eps`, `dz`, attribute `h` (∂loss/∂KLₙⱼ) →
 *   ∂/∂μ = h·(μ·2) + dz and ∂/∂s = ((((−h)/σ² + h)·(σ·2) + dz·ε)·σ)·½.
 */
export const NORMAL_SAMPLE_KERNEL = 'VariaNormalSample';
/** See {@link NORMAL_SAMPLE_KERNEL}. */
export const NORMAL_KL_KERNEL = 'VariaNormalKl';
/** See {@link NORMAL_SAMPLE_KERNEL}. */
export const NORMAL_BACKWARD_KERNEL = 'VariaNormalBackward';

/**
 * The name of an optional TensorFlow.js kernel with no inputs and the attributes `shape` (number[]) and `seed` (a
 * number; 0 draws a random seed, as tfjs does): a float32 tensor of `shape` holding the very values
 * `tf.randomNormal(shape, 0, 1, 'float32', seed)` draws (from the state `tfjsAleaState(seed)`), without tfjs's
 * generator objects — used by `@varia/vae`'s fused training step for its ε.
 */
export const STANDARD_NORMAL_KERNEL = 'VariaStandardNormal';

/**
 * The names of two optional TensorFlow.js kernels for a Gaussian likelihood N(x; μ, σ) whose σ is one value (shape [])
 * or one per feature ([D]) broadcast over the rows, each the same bits as the kernels it stands for, in one call —
 * used by `@varia/vae`'s fused training step:
 *
 * - `NORMAL_LOG_PROB_KERNEL`: inputs `x`, `loc` [n, D], `sigma`; attribute `halfLog2pi` → the broadcast scale,
 *   d = x − μ, t = d/scale [n, D] and Σⱼ ((−½)·t² − (log scale + ½ log 2π)) [n];
 * - `NORMAL_LOG_PROB_BACKWARD_KERNEL`: inputs `scale`, `t`, `d` [n, D]; attributes `g` (∂loss/∂log p of every
 *   element) and `perFeature` → ∂/∂μ [n, D] and ∂/∂σ (the shape of σ, summed over the broadcast axes).
 */
export const NORMAL_LOG_PROB_KERNEL = 'VariaNormalLogProb';
/** See {@link NORMAL_LOG_PROB_KERNEL}. */
export const NORMAL_LOG_PROB_BACKWARD_KERNEL = 'VariaNormalLogProbBackward';

/**
 * The name of an optional TensorFlow.js kernel that performs one Adam step for several variables at once, in place.
 * Attribute `count` (n) and the hyper-parameters of {@link ADAM_UPDATE_KERNEL}; inputs `variable{i}`, `gradient{i}`,
 * `firstMoment{i}`, `secondMoment{i}` for i < n (float32, one shape per i). It has no outputs when it updated the
 * variables and moments in place (their data was held by nothing else); otherwise it changes nothing and returns the
 * 3n new values w′₀, m′₀, v′₀, w′₁, … for the caller to assign. Same math as {@link ADAM_UPDATE_KERNEL}, bit for bit.
 */
export const ADAM_IN_PLACE_KERNEL = 'VariaAdamUpdateInPlace';

/**
 * The name of an optional TensorFlow.js kernel computing the backward pass of a dense layer y = f(x·W + b) in one
 * call: inputs `dy`, `y` (the layer's output), `x` [batch, in], `kernel` W [in, units] and, optionally with
 * `inputGradient`, `dxAdd` [batch, in]; attributes `activation` (`linear`, `relu`, `sigmoid` or `tanh`) and
 * `inputGradient` (boolean); outputs dx = δ·Wᵀ (when `inputGradient`; dx = dxAdd + δ·Wᵀ with `dxAdd`, the bits of an
 * `Add` after the kernel: another path's gradient to x joined in the same call), dW = xᵀ·δ and db = Σ_rows δ,
 * where δ = dy ⊙ f′ with f′ from the output (relu: 1[y > 0]; sigmoid: y(1 − y); tanh: 1 − y²).
 * `@varia/native-kernels` registers it (its BLAS's order), `@varia/wasm-kernels` too (the order of the wasm
 * backend's own kernels); `@varia/layers`' `Dense` uses it where the backend has it.
 */
export const DENSE_BACKWARD_KERNEL = 'VariaDenseBackward';

/**
 * The name of an optional TensorFlow.js kernel that runs a dense layer's backward pass and the Adam step of its
 * kernel and bias in one call, in place: inputs `dy`, `y` [batch, units], `x` [batch, in], `kernel` W [in, units],
 * `bias` b [units], `kernelM`, `kernelV` [in, units], `biasM`, `biasV` [units] (all float32), the optional `dxAdd`
 * [batch, in] as {@link DENSE_BACKWARD_KERNEL}'s; attributes `activation` and `inputGradient` as
 * {@link DENSE_BACKWARD_KERNEL}'s and the Adam numbers as {@link ADAM_IN_PLACE_KERNEL}'s (`learningRate`, `beta1`,
 * `beta2`, `epsilon`, `beta1Power`, `beta2Power`); outputs `[dx]` (dx = δ·Wᵀ with the W from before the update, plus
 * dxAdd when given) when `inputGradient`, else `[]`. Effect: with dW = xᵀ·δ, db = Σ_rows δ (δ = dy ⊙ f′),
 * W, b and their moments are overwritten with one Adam step,
 *
 * m′ = β₁m + (1−β₁)g, v′ = β₂v + (1−β₂)g², w′ = w − η·(m′/(1−β₁ᵗ)) / (√(v′/(1−β₂ᵗ)) + ε),
 *
 * the same bits as {@link DENSE_BACKWARD_KERNEL} followed by {@link ADAM_IN_PLACE_KERNEL} on [W, b]. The written
 * tensors must each be their data's only holder; anything else is refused before anything is written. The optional
 * attribute `deferUpdate` (boolean, default false) lets W's update finish later: see {@link JOIN_DEFERRED_KERNEL}.
 * `@varia/native-kernels` registers it for the wasm backend.
 */
export const DENSE_BACKWARD_ADAM_KERNEL = 'VariaDenseBackwardAdam';

/**
 * The name of an optional TensorFlow.js kernel with no inputs and no outputs that waits for the update a
 * {@link DENSE_BACKWARD_ADAM_KERNEL} call with the attribute `deferUpdate: true` left running. With that attribute
 * (default false) the kernel may return once dx and the bias's step are done, while helper threads still make dW and
 * apply W's step: until this kernel runs, W, its moments, x and (for a linear layer) dy must stay alive and must not be
 * read or written by anything but the native kernels (which wait for the update themselves where they touch them).
 * A failure of the deferred work is thrown here. `@varia/native-kernels` registers both for the wasm backend.
 */
export const JOIN_DEFERRED_KERNEL = 'VariaJoinDeferred';

/**
 * The name of an optional TensorFlow.js kernel running a whole training step of the built-in MLP VAE (Gaussian
 * posterior σ = exp(s/2), standard-normal prior, one reparameterized sample) with every layer's Adam step in place:
 * the kernels of that step — {@link STANDARD_NORMAL_KERNEL}'s ε, `Log1p` of x where asked (made first: the two are
 * independent), each layer's `_FusedMatMul`,
 * {@link NORMAL_SAMPLE_KERNEL}, the family's {@link LIKELIHOOD_STEP_KERNELS} kernel, {@link NORMAL_KL_KERNEL},
 * each layer's {@link DENSE_BACKWARD_ADAM_KERNEL} from the output layer back (the output layer's deferred), and
 * {@link NORMAL_BACKWARD_KERNEL} between decoder and heads — in that order, on the same inputs, in one kernel call,
 * so the same bits. Layers are numbered in the order encoder layers, loc head, scale head, decoder layers, output
 * layer; layer i has inputs `kernel<i>` W [in, units], `bias<i>`, and their Adam moments `kernelM<i>`, `kernelV<i>`,
 * `biasM<i>`, `biasV<i>` (each its data's only holder: overwritten); the batch is `x` [n, D] (and `table`, log k!,
 * for `poisson`). Attributes: `encoderLayers` and `layers` (counts), `activations` (one name per layer: `linear`,
 * `relu`, `sigmoid`), `family` (`bernoulli` or `poisson`), `log1p` (the encoder reads log(1 + x)), `seed` (ε's, as
 * {@link STANDARD_NORMAL_KERNEL}'s), `g` (∂loss/∂log p(xₙ|z), as the likelihood kernel's), `h` (∂loss/∂KLₙⱼ·½, as
 * {@link NORMAL_BACKWARD_KERNEL}'s) and Adam's `learningRate`, `beta1`, `beta2`, `epsilon`, `beta1Power`,
 * `beta2Power`. Outputs: the row sums of log p(x|z) [n], of the KL [n], and `misses` (a float32 scalar): when it is
 * not 0 the likelihood did not take the batch (as its kernel's `misses`) or the kernel declined the step, nothing
 * was written and the caller runs the step another way. Bad inputs are refused before anything is written. An error
 * thrown after layers were updated carries `layersWritten`: how many, counted from the output layer back (they stay
 * updated, as with the separate kernels).
 * `@varia/native-kernels` registers it for the wasm backend; `@varia/vae`'s fused step uses it where it applies.
 */
export const MLP_VAE_STEP_KERNEL = 'VariaMlpVaeStep';

/**
 * The per-layer inputs of {@link MLP_VAE_STEP_KERNEL}, in the order the kernel writes them: layer i's are these names
 * followed by i (`kernel0`, `bias0`, `kernelM0`, …) — W, b, W's Adam moments m and v, b's m and v.
 */
export const MLP_VAE_STEP_LAYER_INPUTS = ['kernel', 'bias', 'kernelM', 'kernelV', 'biasM', 'biasV'] as const;

/**
 * The name of an optional TensorFlow.js kernel computing a dense layer's forward pass for a sparse input in CSR form,
 * y = f(X·W + b): inputs `indptr` (int32 [rows + 1], from 0 to nnz, non-decreasing), `indices` (int32 [nnz], column
 * of each stored entry, in 0 … in − 1), `values` (float32 [nnz]), `kernel` W [in, units] and, optionally, `bias` b
 * [units]; attribute `activation` (`linear`, `relu`, `relu6`, `leakyrelu` with `leakyreluAlpha`, `elu`, `sigmoid`);
 * output y [rows, units], row i = f(b + Σ_{e ∈ row i} values[e]·W[indices[e], :]). It reads only the stored entries:
 * at 19 % density (MNIST) a fifth of the dense product's multiply-adds. A malformed CSR (indptr not from 0 to nnz
 * or decreasing, a column out of range) is an error (`code` `VARIA_CSR`, with `row`), never an out-of-bounds read.
 * `@varia/native-kernels` registers it for the wasm backend; `@varia/layers`' `denseOfSparse` uses it where the
 * backend has it and multiplies the densified rows elsewhere.
 */
export const SPARSE_DENSE_KERNEL = 'VariaSparseDense';

/**
 * The name of an optional TensorFlow.js kernel computing {@link SPARSE_DENSE_KERNEL}'s y = f(X·W + b) with X's CSR
 * arrays read in place on the host (nothing uploaded): attributes `indptr` (Int32Array [rows + 1]) and `indices`
 * (Int32Array [nnz]) over plain ArrayBuffers, and either attribute `values` (Float32Array [nnz]) or input `values`
 * (float32 [nnz] already on the backend, e.g. transformed there); inputs `kernel` W [in, units] and, optionally,
 * `bias`; attributes `activation` and `leakyreluAlpha` as {@link SPARSE_DENSE_KERNEL}. It checks the structure with
 * `assertSparseMatrix`'s rules — indptr from 0 to nnz and non-decreasing, each row's columns in 0 … in − 1 and
 * strictly increasing — in its own pass (code `VARIA_CSR`, with `row`), so a caller may skip the JavaScript check's
 * row pass. The same bits as {@link SPARSE_DENSE_KERNEL} on the same matrix.
 */
export const SPARSE_DENSE_HOST_KERNEL = 'VariaSparseDenseHost';

/**
 * The name of an optional TensorFlow.js kernel computing a dense layer's forward pass y = f(x·W + b) with the dense
 * input x read in place on the host (nothing uploaded): attribute `x` (Float32Array [rows·in], rows in row-major
 * order, over a plain ArrayBuffer) and attribute `rows`; inputs `kernel` W [in, units] and, optionally, `bias` b
 * [units]; attributes `activation` and `leakyreluAlpha` as `tf.fused.matMul`'s. The same bits as the backend's fused
 * matMul of the uploaded x (`_FusedMatMul` with that bias and activation).
 */
export const DENSE_HOST_KERNEL = 'VariaDenseHost';

/**
 * The name of an optional TensorFlow.js kernel computing a dense layer's forward pass y = f(x·W + b) for a dense
 * float32 input that is mostly zeros (data such as MNIST pixels or counts), reading only x's non-zero entries:
 * inputs `x` [n, in] (float32), `kernel` W [in, units] (float32) and, optionally, `bias` b [units]; attributes
 * `activation` (`linear`, `relu`, `relu6`, `leakyrelu` with `leakyreluAlpha`, `elu`, `sigmoid`) and
 * `leakyreluAlpha`; output y [n, units],
 *
 * yᵢ = f(b + Σ_{k : xᵢₖ ≠ 0} xᵢₖ·W[k, :]).
 *
 * ±0 entries are skipped; NaN and ±∞ entries are non-zero and propagate as in the dense product. The one difference
 * from the dense product: a skipped zero times an infinite (or NaN) weight adds nothing here, where the dense product
 * gets NaN. The float32 sums run in another order than a dense GEMM's, so y differs from it by rounding only.
 * `@varia/native-kernels` registers it for the wasm backend (its results are the same bits for any number of
 * helper threads).
 */
export const SPARSE_INPUT_DENSE_KERNEL = 'VariaSparseInputDense';

/**
 * The name of an optional TensorFlow.js kernel computing the parameter gradients of
 * {@link SPARSE_INPUT_DENSE_KERNEL}'s layer y = f(x·W + b), reading only x's non-zero entries: inputs `dy`, `y` (the
 * forward's output) [n, units] and `x` [n, in] (float32, dense, mostly zeros); attribute `activation` (`linear`,
 * `relu`, `sigmoid` or `tanh`); outputs
 *
 * dW = xᵀ·δ [in, units] and db = Σ_rows δ [units], δ = dy ⊙ f′,
 *
 * with f′ from the output exactly as {@link DENSE_BACKWARD_KERNEL} defines it (relu: 1[y > 0]; sigmoid: y(1 − y);
 * tanh: 1 − y²). No dx: x is data. Rows k of dW whose column of x is all zeros are 0; db is summed over the rows in
 * order, as {@link DENSE_BACKWARD_KERNEL}'s. `@varia/native-kernels` registers it for the wasm backend.
 */
export const SPARSE_INPUT_DENSE_BACKWARD_KERNEL = 'VariaSparseInputDenseBackward';

/**
 * The name of an optional TensorFlow.js kernel that gathers rows of a host matrix into a new tensor, with no inputs:
 * attributes `source` (a Float32Array over a plain ArrayBuffer holding whole rows of `cols` values, row-major),
 * `cols` (a positive integer) and `rows` (an Int32Array of row numbers, in any order, repeats allowed); output the
 * float32 tensor [rows.length, cols] whose row k is row rows[k] of the source, its bytes as they are (what
 * `TypedArray.prototype.set` copies). A row number outside the source is an error (`ArgumentError` naming `rows`),
 * and nothing is allocated then. `@varia/native-kernels` registers it for the wasm backend (one copy straight into
 * the tensor's memory, prefetching rows ahead); `@varia/vae` builds its in-memory training batches with it there.
 */
export const GATHER_ROWS_KERNEL = 'VariaGatherRows';

/**
 * The names of optional TensorFlow.js kernels, one per likelihood family, that compute a fused training step's whole
 * likelihood part in one pass: inputs `x` (the batch) and the head's output ℓ [n, D] (float32; named after the family's
 * parameter, below), attribute `g` (∂loss/∂log p(xᵢ|·) of every row, a float32 number: −1/n in a step); outputs
 *
 * `rowSums` [n] = Σⱼ log p(xᵢⱼ | ℓᵢⱼ) and `dOut` [n, D] = ∂loss/∂ℓ = g·∂log p/∂ℓ, then a float32 scalar `misses`
 * (the values of x the family does not take; always 0 for `bernoulli`),
 *
 * each the same bits as the kernels they stand for (listed per family), so a step is the same with or without them:
 *
 * - `bernoulli` (input `logits`): log p = x·ℓ − softplus(ℓ), the row sum in the `Sum` kernel's order, and
 *   dOut = g·x + (−g)·σ(ℓ) with σ the wasm backend's own `Sigmoid` (XNNPACK's), as `MUL_SUB_KERNEL`, `Sum`, `Sigmoid`
 *   and `SCALED_SUM_KERNEL` give them.
 * - `poisson` (inputs `logRate` and `table`, log k! for k below its length — `@varia/distributions`'
 *   `logFactorialTable32`): log p = (x·ℓ − e^ℓ) − log x!, the row sum in the `Sum` kernel's order, and
 *   dOut = g·x + (−g)·e^ℓ, as `Exp`, `MUL_SUB_KERNEL`, `TABLE_LOOKUP_KERNEL`, `Sub`, `Sum` and `SCALED_SUM_KERNEL`
 *   give them; `misses` counts the values of x that are not integer counts below the table's length (nor below
 *   2²³): when it is not 0 the other outputs are meaningless and the caller evaluates the step another way.
 *
 * `@varia/native-kernels` registers them for the wasm backend; `@varia/vae`'s fused training step uses them where the
 * backend has them and runs the separate kernels elsewhere.
 */
export const LIKELIHOOD_STEP_KERNELS = {
  /** Bernoulli(logits): inputs `x`, `logits`. */
  bernoulli: 'VariaBernoulliStep',
  /** Poisson(log-rate): inputs `x`, `logRate`, `table` (log k!). */
  poisson: 'VariaPoissonStep',
} as const;
