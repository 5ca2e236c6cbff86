import { readFileSync } from 'node:fs';
import { InputError } from '../data/index';
import { formatParityTable, runParity, type MASRNetPreset } from '../models/index';
import { UsageError, formatHelp, parseArgs, type OptionSpecs, type ParsedValues } from './args';
import { runBench } from '../train/bench';
import {
  BENCH_SPECS,
  DEMO_SPECS,
  ENHANCE_SPECS,
  PARITY_SPECS,
  SEARCH_SPECS,
  TEST_SPECS,
  TRAIN_SPECS,
  startBackend,
} from './commands';
import { runDemo } from '../infer/demo';
import { runEnhance } from '../infer/enhance-files';
import { readModelConfigFile } from '../infer/model-source';
import { recipePath } from './recipes';
import { DEFAULT_PRETRAINED, PRETRAINED_PREFIX } from '../infer/model-source';
import { pretrainedNames } from '../models/index';
import { consoleReporter, type Reporter } from '../reporter';
import { runTest } from '../infer/test-run';
import { runTrain, type TrainOptions } from '../train/run';
import { parseSpace, runSearch } from '../search/index';

/** Exit statuses: 0 ok, 1 bad input or failure, 2 usage, 3 NaN loss, 130 interrupted (as shells report Ctrl-C). */
export const EXIT = { ok: 0, error: 1, usage: 2, nan: 3, interrupted: 130 } as const;

export interface CliContext {
  reporter?: Reporter;
  /** Aborted on Ctrl-C (training saves and stops). */
  signal?: AbortSignal;
}

interface Command {
  usage: string;
  description: string;
  specs: OptionSpecs;
  run(
    values: ParsedValues,
    positionals: string[],
    given: Set<string>,
    ctx: Required<Pick<CliContext, 'reporter'>> & CliContext,
  ): Promise<number>;
}

const str = (v: unknown) => (v === undefined ? undefined : String(v));
const num = (v: unknown) => (v === undefined ? undefined : Number(v));

function need(values: ParsedValues, name: string, command: string): string {
  const v = values[name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())];
  if (v === undefined || v === '') throw new UsageError(`${command} needs --${name}`);
  return String(v);
}

/**
 * The weights a command runs: --checkpoint, else the shipped weights named by --pretrained (default lowlight-v1),
 * said in the command's first line so nobody mistakes them for their own.
 */
function modelSource(values: ParsedValues, reporter: Reporter): string {
  const checkpoint = str(values.checkpoint);
  const pretrained = str(values.pretrained);
  if (checkpoint && pretrained) throw new UsageError('give --checkpoint or --pretrained, not both');
  if (checkpoint) return checkpoint;
  const name = pretrained ?? DEFAULT_PRETRAINED;
  if (!pretrainedNames().includes(name))
    throw new UsageError(
      `--pretrained: no shipped weights named '${name}' (available: ${pretrainedNames().join(', ') || 'none'})`,
    );
  reporter.info(
    `weights: the shipped pretrained '${name}'${checkpoint || pretrained ? '' : ' (no --checkpoint given)'}; see docs/model-card.md`,
  );
  return `${PRETRAINED_PREFIX}${name}`;
}

/** Run a parser whose errors are about the user's option: report them as usage errors. */
function parseUsage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}

function noPositionals(positionals: string[], command: string): void {
  if (positionals.length)
    throw new UsageError(`${command}: unexpected argument '${positionals[0]}' (options start with --)`);
}

const COMMANDS: Record<string, Command> = {
  train: {
    usage: 'masr-net train (--photos DIR | --data DIR | --low-dir DIR --high-dir DIR) [options]',
    description:
      'Train MASR-Net: AdamW with warm-up + cosine schedule, gradient clipping, validation PSNR/SSIM, best/ and last/\n' +
      'checkpoints (with optimizer state), train_log.jsonl and curves.png in --out. Ctrl-C saves last/ and stops;\n' +
      '--resume DIR continues exactly (same step, schedule and optimizer moments). A new run refuses an --out folder\n' +
      'that holds one (--overwrite replaces it); one run at a time per folder.',
    specs: TRAIN_SPECS,
    async run(v, pos, given, ctx) {
      noPositionals(pos, 'train');
      const recipe = v.recipe ? await readModelConfigFile(recipePath(String(v.recipe))) : {};
      const fromFile = v.config ? await readModelConfigFile(String(v.config)) : {};
      // Only what the user said goes in: runTrain fills defaults (or the checkpoint's options when resuming).
      // A recipe is the base, a --config file overrides it, options on the command line override both.
      const opts: Partial<TrainOptions> = {
        ...(recipe.train as Partial<TrainOptions> | undefined),
        ...(fromFile.train as Partial<TrainOptions> | undefined),
      };
      if (recipe.model && !fromFile.model) fromFile.model = recipe.model;
      for (const key of given)
        if (key !== 'backend' && key !== 'threads') (opts as Record<string, unknown>)[key] = v[key];
      if (fromFile.model && !v.resume) opts.modelOverrides = fromFile.model;
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      const result = await runTrain(opts, { reporter: ctx.reporter, signal: ctx.signal });
      if (result.status === 'nan') {
        ctx.reporter.warn(`error: ${result.message}`);
        return EXIT.nan;
      }
      ctx.reporter.info(result.message);
      return result.status === 'interrupted' ? EXIT.interrupted : EXIT.ok;
    },
  },
  search: {
    usage: 'masr-net search (--recipe NAME|FILE | --config FILE) [--study DIR] [--trials N] [options]',
    description:
      'Hyperparameter search over short training runs: TPE sampling after a few random trials, Hyperband pruning on\n' +
      'the validation PSNR, seeded. The study (--study DIR/study.jsonl) is append-only: run the same command again to\n' +
      'continue a stopped study. Writes trials.txt, trials.json, search.png and best-config.json (for train --config).',
    specs: SEARCH_SPECS,
    async run(v, pos, given, ctx) {
      noPositionals(pos, 'search');
      if (!v.recipe && !v.config)
        throw new UsageError('search needs --recipe or --config (the data and validation the trials train on)');
      const space = v.space === undefined ? undefined : parseUsage(() => parseSpace(String(v.space)));
      const recipe = v.recipe ? await readModelConfigFile(recipePath(String(v.recipe))) : {};
      const fromFile = v.config ? await readModelConfigFile(String(v.config)) : {};
      const base = {
        train: { ...(recipe.train as Partial<TrainOptions>), ...(fromFile.train as Partial<TrainOptions>) },
        model: fromFile.model ?? recipe.model,
      };
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      const r = await runSearch(
        {
          dir: String(v.study),
          trials: Number(v.trials),
          seed: Number(v.seed),
          space,
          base,
          budget: {
            steps: Number(v.steps),
            crop: Number(v.crop),
            ...(v.batch !== undefined ? { batch: Number(v.batch) } : {}),
            valMax: Number(v.valMax),
            valCrop: Number(v.valCrop),
            valEvery: Number(v.valEvery),
            gradWorkers: Number(v.gradWorkers),
          },
          minResource: Number(v.minResource),
          reductionFactor: Number(v.reductionFactor),
          sampler: { startup: Number(v.startupTrials) },
        },
        { reporter: ctx.reporter, signal: ctx.signal },
      );
      ctx.reporter.info(readFileSync(r.files.table, 'utf8').trimEnd());
      if (r.best)
        ctx.reporter.info(
          `best: trial ${r.best.trial}, validation PSNR ${r.best.score!.toFixed(3)} dB with ${Object.entries(
            r.best.values,
          )
            .map(([k, x]) => `${k} ${x.toPrecision(4)}`)
            .join(', ')}`,
        );
      ctx.reporter.info(
        `wrote ${[r.files.table, r.files.json, r.files.plot, r.files.config].filter(Boolean).join(', ')}${r.interrupted ? ` (interrupted: run the same command to continue ${r.files.study})` : ''}`,
      );
      return r.interrupted ? EXIT.interrupted : EXIT.ok;
    },
  },
  test: {
    usage:
      'masr-net test [--checkpoint PATH | --pretrained NAME] (--data DIR | --low-dir DIR --high-dir DIR | --photos DIR) [options]',
    description:
      'Evaluate on a paired set: per-image and mean PSNR/SSIM (also GT-mean), enhanced_XXXX.png,\n' +
      'comparison_XXXX.png (input | enhanced | reference), test_results.txt and test_results.json in --out.',
    specs: TEST_SPECS,
    async run(v, pos, given, ctx) {
      noPositionals(pos, 'test');
      const checkpoint = modelSource(v, ctx.reporter);
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      await runTest(
        {
          data: str(v.data),
          layout: v.layout as never,
          lolv2Subset: v.lolv2Subset as never,
          lowDir: str(v.lowDir),
          highDir: str(v.highDir),
          photos: str(v.photos),
          synthesis: v.synthesis as never,
          seed: num(v.seed),
          split: v.split as 'train' | 'test',
          checkpoint,
          preset: v.preset as MASRNetPreset,
          presetGiven: given.has('preset'),
          config: str(v.config),
          out: String(v.out),
          maxImages: num(v.maxImages),
          saveImages: v.saveImages as boolean,
          workers: num(v.workers),
        },
        ctx.reporter,
      );
      return EXIT.ok;
    },
  },
  enhance: {
    usage: 'masr-net enhance [--checkpoint PATH | --pretrained NAME] --input FILE|DIR [--out DIR] [--maps]',
    description:
      'Enhance an image or a folder of images of any size. Inputs are never overwritten; files are written atomically.',
    specs: ENHANCE_SPECS,
    async run(v, pos, given, ctx) {
      const input = pos.length === 1 && v.input === undefined ? pos[0]! : need(v, 'input', 'enhance');
      if (pos.length > (v.input === undefined ? 1 : 0))
        throw new UsageError(`enhance: unexpected argument '${pos.at(-1)}'`);
      const checkpoint = modelSource(v, ctx.reporter);
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      const r = await runEnhance(
        {
          input,
          checkpoint,
          out: String(v.out),
          preset: v.preset as MASRNetPreset,
          presetGiven: given.has('preset'),
          config: str(v.config),
          maps: v.maps as boolean,
          format: v.format as 'png',
          bitDepth: v.bitDepth === 'auto' ? 'auto' : (Number(v.bitDepth) as 8 | 16),
          suffix: str(v.suffix),
          tile: num(v.tile),
        },
        ctx.reporter,
      );
      ctx.reporter.info(`wrote ${r.written.length} file${r.written.length === 1 ? '' : 's'} to ${String(v.out)}`);
      return EXIT.ok;
    },
  },
  demo: {
    usage: 'masr-net demo [--out runs/demo]',
    description:
      'The bundled samples, in a few minutes: the shipped pretrained weights on the sample low-light photos and pairs,\n' +
      'then the pipeline from scratch (a short training run, its evaluation and enhancement). Everything goes to --out.',
    specs: DEMO_SPECS,
    async run(v, pos, given, ctx) {
      noPositionals(pos, 'demo');
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      return runDemo(
        {
          out: String(v.out),
          samples: str(v.samples),
          steps: Number(v.steps),
          crop: Number(v.crop),
          batch: Number(v.batch),
          lr: Number(v.lr),
        },
        { reporter: ctx.reporter, signal: ctx.signal },
      );
    },
  },
  parity: {
    usage: 'masr-net parity WEIGHTS.safetensors ACTIVATIONS.safetensors',
    description: 'Check the port against reference activations exported from PyTorch; prints a per-stage error table.',
    specs: PARITY_SPECS,
    async run(v, pos, given, ctx) {
      const weights = str(v.weights) ?? pos[0];
      const activations = str(v.activations) ?? pos[1];
      if (!weights || !activations) throw new UsageError('parity needs the weights and the activations files');
      const read = (f: string) => {
        try {
          return readFileSync(f);
        } catch (e) {
          throw new InputError(f, (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(e));
        }
      };
      const [w, a] = [read(weights), read(activations)];
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      const report = runParity(w, a, { names: { weights, activations } });
      ctx.reporter.info(formatParityTable(report));
      ctx.reporter.info(report.ok ? 'parity: ok' : 'parity: FAILED');
      return report.ok ? EXIT.ok : EXIT.error;
    },
  },
  bench: {
    usage: 'masr-net bench [--size 256x256] [--batch 1] [--train]',
    description: 'Time a forward pass (and optionally a training step) on this machine; prints parameters and FLOPs.',
    specs: BENCH_SPECS,
    async run(v, pos, given, ctx) {
      noPositionals(pos, 'bench');
      await startBackend(String(v.backend), Number(v.threads), (l) => ctx.reporter.info(l));
      await runBench(
        {
          preset: v.preset as MASRNetPreset,
          config: str(v.config),
          size: String(v.size),
          batch: Number(v.batch),
          runs: Number(v.runs),
          train: !!v.train,
        },
        ctx.reporter,
      );
      return EXIT.ok;
    },
  },
};

function mainHelp(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.description.split('\n')[0]}`);
  return `usage: masr-net <command> [options]\n\ncommands:\n${lines.join('\n')}\n\n'masr-net <command> --help' lists a command's options.\n`;
}

/**
 * Run the CLI with `argv` (without node and the script). Returns the exit status; errors about the user's input are
 * printed as one line `error: <file>: <problem>`.
 */
export async function runCli(argv: string[], ctx: CliContext = {}): Promise<number> {
  const reporter = ctx.reporter ?? consoleReporter();
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    reporter.info(mainHelp());
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) {
    reporter.warn(`error: unknown command '${name}'\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    reporter.info(formatHelp(command.usage, command.description, command.specs));
    return EXIT.ok;
  }
  try {
    const { values, positionals, given } = parseArgs(rest, command.specs);
    return await command.run(values, positionals, given, { ...ctx, reporter });
  } catch (e) {
    if (e instanceof UsageError) {
      reporter.warn(`error: ${e.message} (see 'masr-net ${name} --help')`);
      return EXIT.usage;
    }
    const msg = e instanceof Error ? e.message : String(e);
    reporter.warn(`error: ${msg.split('\n')[0]}`);
    if (process.env.MASR_DEBUG && e instanceof Error && e.stack) reporter.warn(e.stack);
    return EXIT.error;
  }
}
