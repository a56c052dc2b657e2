// The septcheck command line: sweep, replay, regress add, list, merge.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { exitOnError } from './lib/errors.ts';
import { defaultWorkers } from './lib/pool.ts';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

const int = (name: string, min: number) => (v: string) => {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
  return Number(v);
};
const positive = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number`);
  return n;
};

// A reader that stops early (`septcheck sweep | head`) closes the pipe: stop quietly,
// as a tool killed by SIGPIPE would, rather than with an EPIPE stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}

const EXIT_CODES =
  'Exit codes: 0 every scenario met its expected verdict, 1 some did not, 2 bad input (nothing ran),\n' +
  '3 some scenario could not be judged (its code threw, hung, exited, or ran past --time).';

const program = new Command('septcheck')
  .description('Model-check KVM TDX S-EPT huge-page splitting designs: explore interleavings, get minimal replayable counterexamples.')
  .addHelpText('after', '\nExample:\n  $ septcheck sweep scenarios/ --strategy dpor --preemptions 2\n  $ septcheck replay sc2.… --html report.html')
  .version(version, '-V, --version', 'print the version')
  .showSuggestionAfterError()
  .exitOverride()
  // Bad input is one line: commander's suggestion goes on the same line.
  .configureOutput({
    outputError: (s, write) => write(`septcheck: ${s.replace(/^error: /, '').replace(/\s*\(Did you mean (.+)\?\)/, " (did you mean '$1'?)").trim()}\n`),
  });

program
  .command('sweep')
  .argument('[paths...]', 'scenario files or folders (default: scenarios/)')
  .description('run scenarios and check each against its expected verdict')
  // Flags win over the environment (SEPTCHECK_*), which wins over each scenario's bounds.
  .addOption(new Option('--strategy <name>', "portfolio, random, pct, pos, urw, guided, fastcheck, dpor, dfs, ... (all: septcheck list; default: each scenario's own, else portfolio)").env('SEPTCHECK_STRATEGY'))
  .addOption(new Option('--schedules <n>', 'schedule budget per scenario (not of a scenario whose bounds say fixed)').argParser(int('--schedules', 1)).env('SEPTCHECK_SCHEDULES'))
  .option('--time <seconds>', 'hard wall-time limit per scenario: past it the scenario is stopped and reported as timeout', positive('--time'))
  .option('--step-time <seconds>', 'how long scenario code may run without reaching a scheduling point before it is reported as hung (default 30)', positive('--step-time'))
  .addOption(new Option('--seed <seed>', 'seed for seeded strategies').env('SEPTCHECK_SEED'))
  .addOption(new Option('--preemptions <k>', 'preemption bound (dpor, dfs)').argParser(int('--preemptions', 0)).env('SEPTCHECK_PREEMPTIONS'))
  .option('--depth <d>', "pct's depth; the portfolio runs pct at depths 1 to d (default 3)", int('--depth', 1))
  .option('--keep-going', 'explore past findings: every finding kind of each scenario, each shrunk and with its token')
  .option('--workers <n>', `worker threads (default: CPUs - 1, here ${defaultWorkers()})`, int('--workers', 1))
  .option('--shard <i/n>', 'run only shard i of n (deterministic partition: every n-th scenario file; with --split, every n-th work item)')
  .option('--split', 'explore each scenario as work items (dfs, dpor: prefixes of its schedule tree; samplers: seed ranges) spread over the workers and, with --shard, over machines; the same result for any --workers and --shard')
  .option('--json <file>', "write a JSON array: one record per scenario ('-': standard output)")
  .option('--junit <file>', "write JUnit XML for CI ('-': standard output)")
  .option('--out <dir>', 'record each scenario as it finishes, fsynced: findings.jsonl, scenarios.jsonl, reports/ (with --split, each work item too: parts.jsonl)')
  .option('--resume', 'skip scenarios already recorded in --out')
  .option('--progress', 'draw the live progress line on stderr (default: when stderr is a terminal)')
  .option('--no-progress', 'plain lines only')
  .addHelpText(
    'after',
    `\n${EXIT_CODES} Ctrl-C stops the sweep: what finished is printed (and kept in --out for --resume), exit 130.\n\n` +
      'Parallelism: by default each worker (and each --shard) takes whole scenario files. With --split each scenario is\n' +
      'cut into work items that depend only on the scenario, its strategy, seed and bounds, and the workers (and shards)\n' +
      'share them out, so one large scenario uses every core, or every machine of a CI matrix: the verdict, the findings\n' +
      'and the proof are the same on 1 worker or many. A split scenario of a sharded sweep is judged by septcheck merge\n' +
      '(from the --out folders of all its shards). --time then limits each work item.\n\n' +
      'Environment: SEPTCHECK_STRATEGY, SEPTCHECK_SCHEDULES, SEPTCHECK_SEED, SEPTCHECK_PREEMPTIONS (the flags win).\n\n' +
      'Example:\n  $ septcheck sweep scenarios/catalogue --strategy dpor --preemptions 2 --out out/ --json out/sweep.json\n' +
      '  $ septcheck sweep scenarios/catalogue/v5-44-fixed.ts --split --workers 8\n' +
      '  $ septcheck sweep scenarios/catalogue/v5-44-fixed.ts --split --shard 2/4 --out out/shard-2   # then: septcheck merge out/shard-*',
  )
  .action(async (paths: string[], o) => {
    const { sweep } = await import('./commands/sweep.ts');
    process.exitCode = await sweep(paths, { ...o, seed: o.seed === undefined ? undefined : /^\d+$/.test(o.seed) ? Number(o.seed) : o.seed });
  });

program
  .command('replay')
  .argument('<token>', 'a replay token printed by sweep (sc2.…)')
  .description('re-run a finding from its token: report, interleaving, state difference')
  .option('--html <file>', 'also write a self-contained swimlane page')
  .option('--json', 'print the finding as JSON')
  .addHelpText('after', '\nExit codes: 1 the finding reproduces, 0 the schedule ran clean, 2 bad or stale token.\n\nExample:\n  $ septcheck replay sc2.q1ZKz… --html finding.html')
  .action(async (token: string, o) => {
    const { replay } = await import('./commands/replay.ts');
    process.exitCode = await replay(token, o);
  });

const regress = program
  .command('regress')
  .description('manage the regression corpus (scenarios/regressions/)')
  .addHelpText('after', '\nExample:\n  $ septcheck regress add sc2.q1ZKz… --name v5-44-missing-mutex-init');
regress
  .command('add')
  .argument('<token>', 'the replay token of the finding to pin')
  .requiredOption('--name <name>', 'file name for <dir>/<name>.ts')
  .option('--dir <dir>', "folder to write the regression in (default: the project's scenarios/regressions)")
  .description('pin a finding at its minimal schedule as a regression scenario')
  .addHelpText('after', '\nExit codes: 0 written, 2 bad token, a schedule that runs clean now, or a name already taken.\n\nExample:\n  $ septcheck regress add sc2.q1ZKz… --name v5-44-missing-mutex-init')
  .action(async (token: string, o: { name: string; dir: string }) => {
    const { regressAdd } = await import('./commands/regress.ts');
    console.log(`wrote ${await regressAdd(token, o)}`);
  });

program
  .command('list')
  .argument('[paths...]', 'scenario files or folders (default: scenarios/)')
  .description('list scenarios and variants with one-line descriptions')
  .addHelpText('after', '\nExit codes: 0 listed, 2 bad input, 3 a scenario file fails while loading or being checked.\n\nExample:\n  $ septcheck list scenarios/catalogue')
  .action(async (paths: string[]) => {
    const { list } = await import('./commands/list.ts');
    process.exitCode = await list(paths);
  });

program
  .command('check')
  .argument('[paths...]', "scenario files or folders (default: the project's scenarios/)")
  .description("check scenario files as code: type-check them with the project's TypeScript settings, then the schema, fields and expected kinds")
  .addHelpText('after', '\nExit codes: 0 no problem, 1 a type error or a scenario the schema refuses, 2 bad input, 3 a file could not be checked\n(it throws while loading) or TypeScript is not installed.\n\nExample:\n  $ septcheck check scenarios/')
  .action(async (paths: string[]) => {
    const { check } = await import('./commands/check.ts');
    process.exitCode = await check(paths);
  });

program
  .command('merge')
  .argument('<dirs...>', '--out directories of sharded sweeps')
  .description('combine sharded sweep outputs into one summary (a split scenario is judged from the parts of all its shards)')
  .option('--json <file>', 'write the merged JSON')
  .option('--junit <file>', 'write merged JUnit XML')
  .addHelpText(
    'after',
    `\n${EXIT_CODES} Merge exits 3 as well when a shard or a scenario of the sweep is missing.\n` +
      'Judging a split scenario may run its scenario code (a part run again under the budget its shard could not know,\n' +
      "the parts' lockdep witnesses replayed together): run merge in the checkout the shards ran.\n\nExample:\n  $ septcheck merge out/shard-1 out/shard-2 --json sweep.json",
  )
  .action(async (dirs: string[], o) => {
    const { merge } = await import('./commands/merge.ts');
    process.exitCode = await merge(dirs, o);
  });

process.on('unhandledRejection', exitOnError);
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // Help and version exit 0; every parse error is bad input: exit 2.
    process.exit(e.exitCode === 0 ? 0 : 2);
  }
  exitOnError(e);
}
