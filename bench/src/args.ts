import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BackendRequest, BACKEND_REQUESTS } from '@varia/playground/backend';
import { COMPOSED_NAMES, type ComposedName } from './composed-table.js';
import { sparseRowsFlag } from './sparse-workload.js';

const WORKLOADS = [
  'mnist-vae-train',
  'mnist-vae-train-poisson',
  'mnist-vae-train-sparse',
  'mnist-vae-train-poisson-sparse',
  'mnist-vae-encode',
  'mnist-vae-encode-sparse',
  'counts-vae-encode-sparse',
  'toy2d-seed',
  'sparse-1m',
] as const;
export type WorkloadName = (typeof WORKLOADS)[number];

/** `--help`: the flags, the workloads and the composed group (skipped by default). */
export const USAGE = `pnpm bench [flags]   (or node --expose-gc bench/dist/run.js [flags])
  --only name[,name]   the workloads (default: all of them): ${WORKLOADS.join(', ')};
                       or composed: the guide's composed models, each a child process at its full size:
                       ${COMPOSED_NAMES.join(', ')}.
                       They take longer than the rest of the bench together, so they are NOT in the default run:
                       name them (--only composed, or some of their names, alone or with workloads)
  --quick              small sizes (a smoke run); the composed models at the examples' CI size
  --backend auto|node-gpu|node|wasm-native|wasm|wasm-threaded|cpu   --baselines key[,key]   --out FILE
  --no-torch  --no-threaded  --no-plain  --no-memory  --no-two-core  --no-census  --no-browser
  --sparse-rows N   --rounds N   --parallel N
See bench/README.md (Run) for each flag.
`;

export interface Args {
  /** `--help`: print USAGE and exit. */
  help?: boolean;
  backend: BackendRequest;
  only: Set<WorkloadName>;
  /** The composed models to run (`--only composed` or their names; none by default). */
  composed: Set<ComposedName>;
  baselines?: Set<string>;
  quick: boolean;
  torch: boolean;
  threaded: boolean;
  plain: boolean;
  memory: boolean;
  /** Rows of the sparse-1m matrix (default 100,000; 10,000 with --quick; the full size is 1,000,000). */
  sparseRows?: number;
  browser: boolean;
  twoCore: boolean;
  census: boolean;
  parallel: number;
  out: string;
  /** Interleaved varia/PyTorch pairs per workload (undefined: 3, or 1 with --quick). */
  rounds?: number;
}

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_OUT = join(here, '..', 'results', 'latest.json');

export function parseArgs(argv: string[]): Args {
  const args: Args = {
    backend: 'auto',
    only: new Set(WORKLOADS),
    composed: new Set(),
    quick: false,
    torch: true,
    threaded: true,
    plain: true,
    memory: true,
    browser: true,
    twoCore: true,
    census: true,
    parallel: 1,
    out: DEFAULT_OUT,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--backend') {
      const b = value() as BackendRequest;
      if (!BACKEND_REQUESTS.includes(b))
        throw new Error(`--backend must be one of ${BACKEND_REQUESTS.join(', ')}, got ${b}`);
      args.backend = b;
    } else if (a === '--only') {
      const names = value().split(',');
      const known = [...WORKLOADS, 'composed', ...COMPOSED_NAMES] as readonly string[];
      for (const n of names)
        if (!known.includes(n)) throw new Error(`--only: unknown workload ${n}; known: ${known.join(', ')}`);
      args.only = new Set(names.filter((n): n is WorkloadName => (WORKLOADS as readonly string[]).includes(n)));
      args.composed = new Set(COMPOSED_NAMES.filter((n) => names.includes(n) || names.includes('composed')));
      // the memory trace and sparse-1m belong to the training workloads: not with only composed models
      if (args.only.size === 0) args.memory = false;
    } else if (a === '--baselines') args.baselines = new Set(value().split(','));
    else if (a === '--quick') args.quick = true;
    else if (a === '--no-torch') args.torch = false;
    else if (a === '--no-threaded') args.threaded = false;
    else if (a === '--no-plain') args.plain = false;
    else if (a === '--no-memory') args.memory = false;
    else if (a === '--sparse-rows') args.sparseRows = sparseRowsFlag(value());
    else if (a === '--no-browser') args.browser = false;
    else if (a === '--no-two-core') args.twoCore = false;
    else if (a === '--no-census') args.census = false;
    else if (a === '--parallel') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1 || n > 8)
        throw new Error(`--parallel must be an integer from 1 to 8, got ${n}`);
      args.parallel = n;
    } else if (a === '--out') args.out = value();
    else if (a === '--rounds') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 1) throw new Error(`--rounds must be a positive integer, got ${n}`);
      args.rounds = n;
    } else if (a === '--help' || a === '-h') args.help = true;
    else throw new Error(`unknown flag ${a}`);
  }
  return args;
}
