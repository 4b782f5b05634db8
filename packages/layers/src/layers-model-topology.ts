import { SerializationError } from '@varia/core';

/** Bounds on a `tf.LayersModel` topology read from a file, checked before tfjs-layers builds anything. */
export interface TopologyLimits {
  /** Most layers, nested models' layers included. */
  maxLayers: number;
  /** Largest `units` of a Dense layer and `filters` of a convolution. */
  maxUnits: number;
  /** Largest kernel, stride, pool or upsampling size along one axis. */
  maxKernelSize: number;
  /** Most values one example occupies at any layer's output (bounds the activations, which weights do not). */
  maxActivationValues: number;
  /** Most weights (trainable and moving statistics together). */
  maxParameters: number;
  /** Deepest nesting of models inside models. */
  maxDepth: number;
}

/** What a checked topology holds: its exact weight count and its per-example input and output shapes. */
export interface TopologySummary {
  /** Number of weights (batch normalization's moving statistics included): what building it allocates. */
  parameters: number;
  /** Per-example input shape, e.g. [28, 28, 1]. */
  inputShape: number[];
  /** Per-example output shape. */
  outputShape: number[];
  /** Number of layers, nested ones included. */
  layers: number;
  /** Per-example shape [F] of a second input (a conditional model's covariate features); absent for one input. */
  covariateShape?: number[];
}

type Dict = Record<string, unknown>;
const isDict = (v: unknown): v is Dict => typeof v === 'object' && v !== null && !Array.isArray(v);
const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Layers that keep the shape and own no weights. */
const SHAPE_PRESERVING = new Set([
  'Activation',
  'Dropout',
  'SpatialDropout1D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'ReLU',
  'LeakyReLU',
  'PReLU',
  'ELU',
  'ThresholdedReLU',
  'Softmax',
]);
const MERGE = new Set(['Add', 'Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract']);

/**
 * The layer classes {@link checkLayersTopology} knows the sizes of (a topology with another class is refused, since its
 * allocation could not be bounded).
 */
export const SUPPORTED_LAYER_CLASSES: readonly string[] = [
  'InputLayer',
  'Dense',
  'Conv2D',
  'Conv2DTranspose',
  'BatchNormalization',
  'Flatten',
  'Reshape',
  'MaxPooling2D',
  'AveragePooling2D',
  'UpSampling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'Concatenate',
  'Sequential',
  'Model',
  ...SHAPE_PRESERVING,
  ...MERGE,
];

/**
 * Checks a `tf.LayersModel` topology (the JSON of `model.toJSON(null, false)`, Sequential or functional) against
 * `limits` by propagating shapes through it, without building anything: every size is a positive integer within the
 * limits, every layer class is one of {@link SUPPORTED_LAYER_CLASSES}, each layer's output fits
 * `maxActivationValues` per example, and the weight count (computed exactly: Dense in·units + units, Conv2D
 * kh·kw·c_in·filters + filters, batch normalization 4·c, …) fits `maxParameters`. Only then may tfjs-layers
 * deserialize it.
 * @throws SerializationError naming the layer and the field.
 */
export function checkLayersTopology(topology: unknown, limits: TopologyLimits, what = 'network'): TopologySummary {
  const counter = { layers: 0, parameters: 0 };
  const fail = (message: string): never => {
    throw new SerializationError(`${what}: ${message}`);
  };
  const int = (v: unknown, field: string, max: number, min = 1): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      fail(`"${field}" must be an integer in [${min}, ${max}], got ${JSON.stringify(v)?.slice(0, 40)}`);
    return v as number;
  };
  const pair = (v: unknown, field: string, fallback?: [number, number]): [number, number] => {
    if (v === undefined || v === null) {
      if (fallback) return fallback;
      fail(`"${field}" is missing`);
    }
    const list = typeof v === 'number' ? [v, v] : v;
    if (!Array.isArray(list) || list.length !== 2) fail(`"${field}" must be a number or two numbers`);
    const [a, b] = list as unknown[];
    return [int(a, field, limits.maxKernelSize), int(b, field, limits.maxKernelSize)];
  };
  const shapeOf = (v: unknown, field: string): number[] => {
    if (!Array.isArray(v) || v.length < 2 || v.length > 8) fail(`"${field}" must be [null, ...dims] (rank 2 to 8)`);
    return (v as unknown[]).slice(1).map((d, i) => int(d, `${field}[${i + 1}]`, limits.maxActivationValues));
  };
  const checked = (shape: number[], layer: string): number[] => {
    if (product(shape) > limits.maxActivationValues)
      fail(`layer "${layer}" outputs ${product(shape)} values per example, above ${limits.maxActivationValues}`);
    return shape;
  };
  const addParameters = (n: number, layer: string) => {
    counter.parameters += n;
    if (counter.parameters > limits.maxParameters)
      fail(`the weights up to layer "${layer}" exceed ${limits.maxParameters} parameters`);
  };
  const spatial = (cfg: Dict, input: number[], name: string): [number, number, number] => {
    if (cfg.data_format !== undefined && cfg.data_format !== 'channels_last')
      fail(`layer "${name}": only data_format channels_last is supported`);
    if (input.length !== 3) fail(`layer "${name}" needs a [height, width, channels] input, got [${input.join(', ')}]`);
    return input as [number, number, number];
  };
  const windowed = (
    size: number,
    kernel: number,
    stride: number,
    padding: unknown,
    dilation = 1,
    name = '',
  ): number => {
    const span = (kernel - 1) * dilation + 1;
    const out = padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
    if (padding !== 'same' && padding !== 'valid') fail(`layer "${name}": padding must be same or valid`);
    if (out < 1) fail(`layer "${name}": the window is larger than its input`);
    return out;
  };

  /** The output shapes of one layer applied to input shapes. */
  const applyLayer = (layer: Dict, inputs: number[][], depth: number): number[] => {
    const cls = String(layer.class_name);
    const cfg = isDict(layer.config) ? layer.config : {};
    const name = typeof cfg.name === 'string' ? cfg.name.slice(0, 80) : String(cls).slice(0, 80);
    if (typeof layer.class_name !== 'string' || !SUPPORTED_LAYER_CLASSES.includes(cls))
      fail(
        `layer class ${JSON.stringify(layer.class_name)?.slice(0, 60)} is not supported (supported: ${SUPPORTED_LAYER_CLASSES.join(', ')})`,
      );
    counter.layers += 1;
    if (counter.layers > limits.maxLayers) fail(`more than ${limits.maxLayers} layers`);
    if (cls === 'Sequential' || cls === 'Model') return graph(layer, inputs[0], depth + 1).outputShape;
    if (MERGE.has(cls) || cls === 'Concatenate') {
      if (inputs.length < 2) fail(`layer "${name}" merges at least two inputs`);
      const first = inputs[0]!;
      if (cls === 'Concatenate') {
        if (cfg.axis !== undefined && cfg.axis !== -1) fail(`layer "${name}": only axis -1 is supported`);
        const same = inputs.every((s) => s.length === first.length && s.slice(0, -1).every((d, i) => d === first[i]));
        if (!same) fail(`layer "${name}": inputs differ before the last axis`);
        return checked([...first.slice(0, -1), inputs.reduce((s, x) => s + x.at(-1)!, 0)], name);
      }
      if (!inputs.every((s) => s.length === first.length && s.every((d, i) => d === first[i])))
        fail(`layer "${name}": inputs of different shapes`);
      return first;
    }
    if (inputs.length !== 1) fail(`layer "${name}" takes one input`);
    const input = inputs[0]!;
    if (SHAPE_PRESERVING.has(cls)) {
      if (cls === 'PReLU') addParameters(product(input), name);
      return input;
    }
    const bias = cfg.use_bias === false ? 0 : 1;
    switch (cls) {
      case 'InputLayer':
        return input;
      case 'Dense': {
        const units = int(cfg.units, `${name}.units`, limits.maxUnits);
        addParameters(input.at(-1)! * units + bias * units, name);
        return checked([...input.slice(0, -1), units], name);
      }
      case 'Conv2D':
      case 'Conv2DTranspose': {
        const [h, w, c] = spatial(cfg, input, name);
        const filters = int(cfg.filters, `${name}.filters`, limits.maxUnits);
        const [kh, kw] = pair(cfg.kernel_size, `${name}.kernel_size`);
        const [sh, sw] = pair(cfg.strides, `${name}.strides`, [1, 1]);
        const [dh, dw] = pair(cfg.dilation_rate, `${name}.dilation_rate`, [1, 1]);
        addParameters(kh * kw * c * filters + bias * filters, name);
        if (cls === 'Conv2D')
          return checked(
            [windowed(h, kh, sh, cfg.padding, dh, name), windowed(w, kw, sw, cfg.padding, dw, name), filters],
            name,
          );
        const grow = (size: number, k: number, s: number) =>
          cfg.padding === 'same' ? size * s : size * s + Math.max(k - s, 0);
        if (cfg.padding !== 'same' && cfg.padding !== 'valid') fail(`layer "${name}": padding must be same or valid`);
        return checked([grow(h, kh, sh), grow(w, kw, sw), filters], name);
      }
      case 'BatchNormalization': {
        if (cfg.axis !== undefined && cfg.axis !== -1 && cfg.axis !== input.length)
          fail(`layer "${name}": only the last axis is supported`);
        addParameters(4 * input.at(-1)!, name);
        return input;
      }
      case 'Flatten':
        return [product(input)];
      case 'Reshape': {
        const target = cfg.target_shape;
        if (!Array.isArray(target) || target.length < 1 || target.length > 7) fail(`layer "${name}": bad target_shape`);
        const dims = (target as unknown[]).map((d, i) =>
          d === -1 ? -1 : int(d, `${name}.target_shape[${i}]`, limits.maxActivationValues),
        );
        const known = product(dims.filter((d) => d !== -1));
        const free = dims.filter((d) => d === -1).length;
        const total = product(input);
        if (free > 1 || (free === 0 && known !== total) || (free === 1 && total % known !== 0))
          fail(`layer "${name}": target_shape [${dims.join(', ')}] does not hold ${total} values`);
        return dims.map((d) => (d === -1 ? total / known : d));
      }
      case 'MaxPooling2D':
      case 'AveragePooling2D': {
        const [h, w, c] = spatial(cfg, input, name);
        const [ph, pw] = pair(cfg.pool_size, `${name}.pool_size`, [2, 2]);
        const [sh, sw] = pair(cfg.strides, `${name}.strides`, [ph, pw]);
        return [
          windowed(h, ph, sh, cfg.padding ?? 'valid', 1, name),
          windowed(w, pw, sw, cfg.padding ?? 'valid', 1, name),
          c,
        ];
      }
      case 'UpSampling2D': {
        const [h, w, c] = spatial(cfg, input, name);
        const [a, b] = pair(cfg.size, `${name}.size`, [2, 2]);
        return checked([h * a, w * b, c], name);
      }
      default: {
        // GlobalAveragePooling2D, GlobalMaxPooling2D
        const [, , c] = spatial(cfg, input, name);
        return [c];
      }
    }
  };

  /** A Sequential or functional model: its input and output shapes (input given when nested). */
  const graph = (model: Dict, given: number[] | undefined, depth: number) => {
    if (depth > limits.maxDepth) fail(`models nested deeper than ${limits.maxDepth}`);
    const cfg = model.config;
    if (model.class_name === 'Sequential') {
      const list = Array.isArray(cfg) ? cfg : isDict(cfg) ? cfg.layers : undefined;
      if (!Array.isArray(list) || list.length === 0) fail('a Sequential model needs a list of layers');
      const layers = list as unknown[];
      const first = layers[0];
      const declared = isDict(first) && isDict(first.config) ? first.config.batch_input_shape : undefined;
      const inputShape = declared !== undefined ? shapeOf(declared, 'batch_input_shape') : given;
      if (!inputShape) fail('the first layer has no batch_input_shape');
      let shape = checked(inputShape as number[], 'input');
      for (const layer of layers) {
        if (!isDict(layer)) fail('a layer must be an object');
        shape = applyLayer(layer as Dict, [shape], depth);
      }
      return { inputShape: inputShape as number[], outputShape: shape };
    }
    if (model.class_name !== 'Model' || !isDict(cfg) || !Array.isArray(cfg.layers))
      fail(`expected a Sequential or Model topology, got class ${JSON.stringify(model.class_name)?.slice(0, 60)}`);
    const c = cfg as Dict;
    const outputs = new Map<string, number[][]>();
    let inputShape: number[] | undefined;
    const lookup = (entry: unknown): number[] | undefined => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') fail('a node reference must be [name, node, tensor]');
      const [name, node, tensor] = entry as [string, unknown, unknown];
      const n = int(node ?? 0, `${name.slice(0, 80)} node index`, 1024, 0);
      int(tensor ?? 0, `${name.slice(0, 80)} tensor index (one output per layer)`, 0, 0);
      return outputs.get(name)?.[n];
    };
    const ref = (entry: unknown): number[] => {
      const shape = lookup(entry);
      if (!shape) fail(`layer "${String((entry as unknown[])[0]).slice(0, 80)}" is used but never defined`);
      return shape as number[];
    };
    // Nodes in any order (Keras lists a shared layer once, before some of its later inputs): repeated passes, each
    // processing the nodes whose inputs are known; at most one pass per node.
    const pending: { layer: Dict & { name: string }; node: number; inbound: unknown[] }[] = [];
    for (const layer of c.layers as unknown[]) {
      if (!isDict(layer) || typeof layer.name !== 'string') fail('a layer must be an object with a name');
      const l = layer as Dict & { name: string };
      if (outputs.has(l.name)) fail(`two layers are named "${l.name.slice(0, 80)}"`);
      outputs.set(l.name, []);
      if (l.class_name === 'InputLayer') {
        const lc = isDict(l.config) ? l.config : {};
        counter.layers += 1;
        outputs.get(l.name)!.push(checked(shapeOf(lc.batch_input_shape, `${l.name}.batch_input_shape`), l.name));
        continue;
      }
      const nodes = l.inbound_nodes;
      if (!Array.isArray(nodes) || nodes.length === 0 || nodes.length > 1024)
        fail(`layer "${l.name.slice(0, 80)}" has no inbound nodes`);
      (nodes as unknown[]).forEach((node, i) => {
        if (!Array.isArray(node) || node.length === 0) fail(`layer "${l.name.slice(0, 80)}": malformed inbound node`);
        pending.push({ layer: l, node: i, inbound: node as unknown[] });
      });
    }
    const owned = new Set<string>();
    while (pending.length > 0) {
      const ready = pending.findIndex((p) => p.inbound.every((e) => lookup(e) !== undefined));
      if (ready < 0) ref(pending[0]!.inbound.find((e) => lookup(e) === undefined));
      const [p] = pending.splice(ready, 1) as [(typeof pending)[number]];
      const before = counter.parameters;
      const out = applyLayer(p.layer, p.inbound.map(ref), depth);
      // a shared layer owns its weights once
      if (owned.has(p.layer.name)) counter.parameters = before;
      owned.add(p.layer.name);
      // a nested model's node 0 is the one it was built with (not listed): its listed nodes count from 1
      const offset = p.layer.class_name === 'Sequential' || p.layer.class_name === 'Model' ? 1 : 0;
      outputs.get(p.layer.name)![p.node + offset] = out;
    }
    const ends = (key: string, most = 1) => {
      const list = c[key];
      if (!Array.isArray(list) || list.length < 1 || list.length > most)
        fail(`"${key}" must name ${most === 1 ? 'exactly one layer' : `one to ${most} layers`}`);
      return (list as unknown[]).map(ref);
    };
    // the top model may take a second input: the covariate features [null, F] of a conditional model
    const [first, second] = ends('input_layers', depth === 1 ? 2 : 1);
    inputShape = first!;
    if (second && second.length !== 1) fail('the second input (covariate features) must be flat, [null, F]');
    if (given && (given.length !== inputShape.length || given.some((d, i) => d !== inputShape![i])))
      fail('a nested model gets an input of another shape than it declares');
    return { inputShape, outputShape: ends('output_layers')[0]!, covariateShape: second };
  };

  if (!isDict(topology)) fail('the topology must be an object');
  const top = isDict((topology as Dict).model_config) ? ((topology as Dict).model_config as Dict) : (topology as Dict);
  const { inputShape, outputShape, covariateShape } = graph(top, undefined, 1) as ReturnType<typeof graph> & {
    covariateShape?: number[];
  };
  return {
    parameters: counter.parameters,
    inputShape,
    outputShape,
    layers: counter.layers,
    ...(covariateShape ? { covariateShape } : {}),
  };
}
