#!/usr/bin/env node
// The polyfill must load before anything imports libp2p (Promise.withResolvers is Node 22+).
import './core/polyfill.js';
import { Command, InvalidArgumentError, Option } from 'commander';
import { TRAINING_DEFAULTS as D, TRAINING_RANGES as R, defaultLearningRate } from './core/index.js';
import { inr, models, node } from './cli/parts.js';
import { addDemoCommand } from './cli/demo-command.js';
import { addLogCommand } from './cli/log-command.js';
import { addStartCommand } from './cli/start-command.js';
import { num } from './cli/options.js';
import { createProgress, formatScores, printBackend, reportBackend, runProgram } from './cli/report.js';

type InitFlags = { config: string; newKey?: boolean; newPsk?: string | boolean; addToSwarm?: boolean };

const program = new Command('swarmd')
  .description('Decentralized swarm-learning peer with key-locked (INFL) models')
  .version('0.1.0')
  // Every value follows its flag: a stray word (`--ignore f1, f2` leaves `f2`) is an error, not ignored.
  .hook('preAction', (_program, command) => {
    const stray = command.args.slice(command.registeredArguments.length);
    if (stray.length > 0) {
      command.error(
        `error: unexpected argument '${stray[0]}' for '${command.name()}': every value follows its flag ` +
          `(a list is one word, --ignore a,b; quote a value with spaces)`,
      );
    }
  });

const csvOptions = (cmd: Command) =>
  cmd
    .option('--label <column>', 'label column', 'label')
    .option('--id <column>', 'sample id column (used if present)', 'sample_id')
    .option('--ignore <columns>', 'comma-separated non-feature columns to skip', list, [] as string[]);
const backendOption = () =>
  new Option('--backend <name>', 'tfjs backend: auto, tfjs-node-gpu, webgpu, tfjs-node, wasm, cpu').default(
    'auto',
  );

program
  .command('keygen')
  .description('write a new model key file (32 random bytes + fingerprint, mode 0600)')
  .requiredOption('--out <file>', 'where to write the key file')
  .option('--force', 'overwrite an existing key file (the old key is lost)')
  .action(async (o: { out: string; force?: boolean }) => {
    const { generateModelKey, writeKeyFile } = await inr();
    const key = generateModelKey();
    await writeKeyFile(o.out, key, { overwrite: o.force === true });
    console.log(
      `wrote model key ${o.out} (fingerprint ${key.fingerprint}); copy it to every site over a secure channel`,
    );
  });

csvOptions(
  program
    .command('train')
    .description('train the model on this site only and write a checkpoint into a LevelDB directory')
    .requiredOption('--data <csv>', 'training data (CSV or CSV.gz): samples × features + label column')
    .requiredOption('--key <file>', 'model key file (swarmd keygen)')
    .requiredOption('--out <dir>', 'checkpoint database directory (created if missing)'),
)
  .option('--group <column>', 'keep rows sharing this column in one split (e.g. patient)')
  .option('--arch <arch>', 'linear (softmax regression), proteomics or mlp', D.arch)
  .option('--inr-layers <names>', 'comma-separated layers that become INRLinear', list)
  .option('--alpha <a>', 'INRLinear mixing weight α', num(R.alpha))
  .option(
    '--lock <name>',
    "model lock: infl (the paper's) or shuffle (key-derived signed input permutations)",
  )
  .option('--epochs <n>', 'maximum epochs', num(R.epochs), D.epochs)
  .option('--batch-size <n>', 'batch size', num(R.batchSize), D.batchSize)
  .option('--lr <x>', 'Adam learning rate (default: 1e-3 linear, 3e-3 otherwise)', num(R.learningRate))
  .option('--patience <n>', 'early stopping patience on validation loss', num(R.patience), D.patience)
  .option(
    '--test-fraction <f>',
    'held-out test fraction (0: train on every row but the validation split)',
    num(R.testFraction),
    0,
  )
  .option('--val-fraction <f>', 'validation fraction carved from training rows', num(R.fraction), 0.15)
  .option('--seed <n>', 'seed for splits, init and dropout', num(R.seed), 42)
  .option('--transform <name>', 'value transform before standardisation: none or log1p (counts)', 'none')
  .addOption(backendOption())
  .action(async (o) => {
    const { trainLocal } = await node();
    const { describeCountLike, describeSuspectColumns, parseFeatureTransform } = await models();
    const ignore: string[] = o.ignore;
    const keep = o.group ? [o.group] : [];
    const progress = createProgress();
    const inr =
      o.inrLayers || o.alpha || o.lock ? { layers: o.inrLayers, alpha: o.alpha, lock: o.lock } : undefined;
    const res = await trainLocal({
      dataPath: o.data,
      keyPath: o.key,
      outPath: o.out,
      csv: { label: o.label, id: o.id, ignore: ignore.filter((c) => !keep.includes(c)), keep },
      transform: parseFeatureTransform(o.transform, '--transform'),
      split: { testFraction: o.testFraction, valFraction: o.valFraction, seed: o.seed, groupColumn: o.group },
      model: { arch: o.arch, seed: o.seed, ...(inr ? { inr: stripUndefined(inr) } : {}) },
      train: {
        epochs: o.epochs,
        batchSize: o.batchSize,
        learningRate: o.lr ?? defaultLearningRate(o.arch),
        seed: o.seed,
        patience: o.patience,
      },
      backend: o.backend,
      onBackend: printBackend,
      onEpoch: progress,
      onPrepared: ({ samples: n, suspectColumns, countLikeMax }) => {
        if (countLikeMax !== null)
          console.error(`warning: ${describeCountLike(countLikeMax)}: pass --transform log1p`);
        if (suspectColumns.length > 0)
          console.error(
            `warning: ${describeSuspectColumns(suspectColumns)} look like sample metadata, not measurements, ` +
              `and are used as features: pass --ignore ${suspectColumns.map((c) => c.column).join(',')} if so`,
          );
        console.error(
          `training on ${n.train} rows, validating on ${n.val}` +
            (n.test > 0 ? `, holding out ${n.test} for the test` : ' (no held-out test: --test-fraction 0)'),
        );
      },
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(
      `checkpoint ${res.checkpointId} written to ${o.out} (best epoch ${res.bestEpoch} of ${res.epochs}; ` +
        `train/val/test rows ${res.samples.train}/${res.samples.val}/${res.samples.test})`,
    );
    console.log(`validation: ${formatScores(res.val)}`);
    if (res.test) console.log(`held-out test: ${formatScores(res.test)}`);
  });

csvOptions(
  program
    .command('infer')
    .description('predict offline from a checkpoint and the model key (no network)')
    .requiredOption('--checkpoint <path>', 'checkpoint database directory or exported checkpoint file')
    .requiredOption('--key <file>', 'model key file the model was trained with')
    .requiredOption('--input <csv>', 'samples to classify (CSV or CSV.gz, same feature columns)')
    .option('--output <csv>', 'write predictions here instead of stdout (a new file or a predictions file)')
    .option('--force', 'replace an existing --output file that swarmd did not write (never an input)')
    .option(
      '--allow-nonfinite',
      'read infinite or absurdly large feature values as missing (a warning names each row) instead of refusing',
    ),
)
  .addOption(backendOption())
  .action(async (o) => {
    const { inferOffline } = await node();
    await reportBackend(o.backend);
    const res = await inferOffline({
      checkpointPath: o.checkpoint,
      keyPath: o.key,
      inputPath: o.input,
      outputPath: o.output,
      force: o.force === true,
      csv: { label: o.label, id: o.id, ignore: o.ignore },
      allowOutOfRange: o.allowNonfinite === true,
    });
    for (const r of res.outOfRange) {
      const cells = r.cells.map((c) => `'${c.column}' = ${c.value.slice(0, 20)}`).join(', ');
      console.error(
        `warning: sample ${r.id} (line ${r.line}): ${cells} read as missing (imputed with the training mean); its prediction is less reliable`,
      );
    }
    if (!o.output) process.stdout.write(res.csv);
    else console.error(`wrote ${res.rows} predictions to ${o.output}`);
    if (res.scores) console.error(`labels present: ${formatScores(res.scores)}`);
  });

program
  .command('init')
  .description("create a site's database and peer identity (and, for a new swarm, its key file and PSK)")
  .requiredOption('--config <file>', 'site config (YAML); see configs/')
  .option('--new-key', "also write a new model key file at the config's keyFile")
  .option(
    '--new-psk [file]',
    "also write a new swarm PSK: at the swarm config's pskFile, or at [file] (relative to the working directory)",
  )
  .option('--add-to-swarm', "add this site's peer id to the swarm config's members")
  .action(async (o: InitFlags) => {
    const { initSite } = await node();
    const r = await initSite({
      configPath: o.config,
      newKey: o.newKey,
      newPsk: o.newPsk,
      addToSwarm: o.addToSwarm,
    });
    for (const f of r.wrote)
      console.log(`wrote ${f} (mode 0600): copy it to every site over a secure channel`);
    console.log(`site ${r.site}: ${r.created ? 'created' : 'already initialised'} ${r.dataDir}`);
    console.log(
      `peer id ${r.peerId}${o.addToSwarm ? ' (added to the swarm config)' : ' — list it in the swarm config members'}`,
    );
  });

program
  .command('migrate')
  .description(
    'upgrade in place what an older swarmd wrote: encrypt plain checkpoints (database or .swck) and the peer identity, rewrite a round log of protocol 1',
  )
  .option('--db <dir>', 'database folder (a site dataDir or a `train --out` folder)')
  .option('--checkpoint <file>', 'exported .swck checkpoint file')
  .requiredOption('--key <file>', "the swarm's model key file")
  .action(async (o: { db?: string; checkpoint?: string; key: string }) => {
    console.log(
      await (await node()).migrateCheckpoints({ db: o.db, checkpoint: o.checkpoint, keyPath: o.key }),
    );
  });

program
  .command('classes')
  .description(
    "write the data's classes into the swarm config's model.classNames (existing ones keep their order)",
  )
  .requiredOption('--data <csv>', "a CSV (or CSV.gz) with the label column, e.g. the first site's data")
  .requiredOption('--config <file>', 'swarm config (YAML) to update in place')
  .option('--label <column>', 'label column', 'label')
  .action(async (o: { data: string; config: string; label: string }) => {
    const { writeClassNames } = await node();
    const r = await writeClassNames({ swarmConfigPath: o.config, dataPath: o.data, label: o.label });
    console.log(
      `model.classNames in ${o.config}: ${r.classNames.join(', ')} ` +
        `(${r.added.length === 0 ? 'unchanged' : `added ${r.added.length}`}); copy the file to every site`,
    );
  });

addStartCommand(program);

addLogCommand(program);

program
  .command('status')
  .description("print a running daemon's status")
  .option('--url <url>', 'status endpoint of the daemon', 'http://127.0.0.1:8101')
  .option('--token <token>', 'bearer token (or SWARMD_TOKEN)')
  .option('--json', 'print the raw JSON')
  .action(async (o: { url: string; token?: string; json?: boolean }) => {
    // Only the status client: loading tfjs and libp2p for an HTTP GET took seconds on a busy machine.
    const { fetchStatus, formatStatusTable } = await import('./node/status/format.js');
    const s = await fetchStatus(o.url, { token: o.token ?? process.env.SWARMD_TOKEN, timeoutMs: 5000 });
    console.log(o.json ? JSON.stringify(s, null, 2) : formatStatusTable(s, Date.now()));
  });

addDemoCommand(program);

function list(value: string): string[] {
  if (/,\s*$/.test(value))
    throw new InvalidArgumentError(
      `'${value}' ends in a comma: write the list as one word (a,b) or in quotes`,
    );
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

runProgram(program);
