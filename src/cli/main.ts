#!/usr/bin/env -S node --max-semi-space-size=1
/**
 * nfctl's command line: parses arguments, runs one command, maps outcomes
 * to exit codes. Every error a user can cause ends here as a message and
 * exit code 1, never as a stack trace.
 *
 * The shebang gives V8 a young generation of 1 MB per semi-space (Node's
 * default is 16): a watcher's resident set stays about 40 MB lower, and
 * creeps less over thousands of reconciles, while one-shot commands are as
 * fast (bench/loop.ts, bench/control-plane.ts). It applies wherever nfctl
 * runs as `nfctl` (npm's bin link, the image, the systemd unit).
 *
 * Each command's module (and with it nfctl's layers) is imported only when
 * the command runs, so `nfctl --help` and `--version` load neither koffi nor
 * libbpf, and are quick.
 */
import { Argument, Command, CommanderError, Option } from "commander";
import type { Logger } from "pino";
import { LOG_FORMATS, LOG_LEVELS, createLogger, defaultLogFormat, libbpfLogSink, logDestination, type LogFormat, type LogLevel } from "./logger.js";
import { colorsFor } from "./colors.js";
import { runInterruptible, type Interrupts } from "./interrupts.js";
import type { LibbpfLogSink } from "../reconcile/index.js";
import type { PlanOptions } from "./plan.js";
import type { ApplyOptions } from "./apply.js";
import type { StatusOptions } from "./status.js";
import type { DestroyOptions } from "./destroy.js";
import type { WatchOptions } from "./watch.js";
import type { ValidateOptions } from "./validate.js";
import type { VersionOptions } from "./version.js";
import type { ImageBuildOptions, ImageInspectOptions, ImagePushOptions } from "./image.js";
import { durationOption } from "./durations.js";
import { DEFAULT_LISTEN, listenAddress } from "./listen.js";
import { hostOptions } from "./host-options.js";
import { cacheDirOption, gitOptions } from "./git-options.js";
import { addRegistryOptions } from "./registry-options.js";
import { NFCTL_VERSION } from "./build-info.js";
import { SHELLS, type Shell } from "./completion.js";

export interface GlobalOptions {
  bpffs?: string;
  logLevel: LogLevel;
  logFormat: LogFormat;
}

/** What every command gets besides its own options. */
export interface Context extends GlobalOptions {
  logger: Logger;
  /** Where libbpf's own messages go while a command loads objects. */
  libbpfLog: LibbpfLogSink;
  /** A command that changes the kernel holds signals from its first change on. */
  interrupts: Interrupts;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];
/** How long apply, destroy and watch wait for another nfctl's lock. */
const lockTimeout = () => durationOption("--lock-timeout <duration>", "how long to wait for another nfctl to finish", "30s");
const output = (formats: string[] = ["text", "json"]) => new Option("-o, --output <format>", "output format").choices(formats).default("text");
/** What a plan renders as: markdown is for a pull-request comment. */
const PLAN_FORMATS = ["text", "json", "markdown"];
/** -f, or --git and its options: a command that loads a config takes exactly one of the two (git-options.ts). */
const configSource = (cmd: Command, fileHelp = "config file, directory of *.yaml/*.yml, or - for stdin (repeatable; all merge)") =>
  addRegistryOptions(
    gitOptions(cmd.option("-f, --file <path>", fileHelp, collect)).option(
      "--object-path <dir>",
      "a directory a shared config (--git, or watched by watch) may also take BPF objects from, besides its own tree and the bundled NFs (repeatable)",
      collect,
    ),
  );

type CommandFn<T> = (opts: T, context: Context) => Promise<number>;

/**
 * Commander's own errors as nfctl's: each line with the one prefix every
 * error has ("error: unknown option '--x'" reads "nfctl: unknown option '--x'").
 *
 * @example
 *     commanderError("error: unknown command 'aply'\n(Did you mean apply?)\n") // "nfctl: unknown command 'aply'\nnfctl: did you mean apply?\n"
 */
function commanderError(text: string): string {
  return text.replace(/^\(Did you mean (.*)\)$/gm, "did you mean $1").replace(/^(?:error: )?(?=.)/gm, "nfctl: ");
}

/**
 * Prints an error as a person reads it on stderr (errors.ts), or with `-o
 * json` as a JSON document on stdout (diagnostics.ts), where CI tools read
 * the document while the exit code says it failed, as with Terraform's
 * -json. Both imported then: they need nfctl's layers.
 */
async function printError(err: unknown, json: boolean): Promise<void> {
  process.exitCode = 1;
  if (json) {
    const { errorDocument } = await import("./diagnostics.js");
    process.stdout.write(errorDocument(err));
    return;
  }
  const { reportError } = await import("./errors.js");
  process.stderr.write(reportError(err));
}

/** Whether the command line asks for JSON (-o json, -ojson, --output json, --output=json), for errors found before its options are parsed. */
function jsonWanted(argv: readonly string[]): boolean {
  return argv.some((arg, i) => arg === "-ojson" || arg === "--output=json" || ((arg === "-o" || arg === "--output") && argv[i + 1] === "json"));
}

/** How a parse ends that commander refused: --help and --version end well; its errors it has printed, unless JSON is wanted. */
async function parseFailed(err: unknown, json: boolean): Promise<void> {
  if (!(err instanceof CommanderError)) return printError(err, json);
  process.exitCode = err.exitCode;
  if (json && err.exitCode !== 0) await printError(err, true);
}

function main(argv: string[]): void {
  const json = jsonWanted(argv);
  const program = new Command("nfctl")
    .description("Declarative reconciler for eBPF network functions: plan and apply XDP/TC chains against the state pinned in the kernel.")
    .version(NFCTL_VERSION)
    .option("--bpffs <dir>", "bpffs root for nfctl's state (default: $NFCTL_BPFFS or /sys/fs/bpf/nfctl)")
    .addOption(new Option("--log-level <level>", "log level of the log on stderr").choices(LOG_LEVELS).default("warn").env("NFCTL_LOG_LEVEL"))
    .addOption(
      new Option("--log-format <format>", "the log on stderr as text or JSON lines")
        .choices(LOG_FORMATS)
        .default(defaultLogFormat(), "text on a terminal, else json"),
    )
    .showHelpAfterError("nfctl: run with --help for usage")
    // Commander's own errors (an unknown option, a bad value) end the parse
    // (parseFailed) rather than the process, and with -o json are not
    // written as text. Set before the commands are made: each inherits them.
    .exitOverride()
    .configureOutput({
      writeErr: (text) => (json ? undefined : process.stderr.write(text)),
      outputError: (text, write) => write(commanderError(text)),
    });

  /** The action of a command whose function `load` imports. */
  const run =
    <T>(load: () => Promise<CommandFn<T>>) =>
    async (opts: T) => {
      const global = program.opts<GlobalOptions>();
      const logger = createLogger(global.logLevel, logDestination(global.logFormat, colorsFor(process.stderr).isColorSupported));
      try {
        const fn = await load();
        logger.debug("command loaded");
        process.exitCode = await runInterruptible((interrupts) => fn(opts, { ...global, logger, libbpfLog: libbpfLogSink(logger), interrupts }));
      } catch (err) {
        logger.debug({ err }, "command failed");
        await printError(err, (opts as { output?: string }).output === "json");
      }
    };

  /** The action of a long-running command: it handles its signals itself (see watch.ts). */
  const runLoop =
    <T>(load: () => Promise<CommandFn<T>>) =>
    async (opts: T) => {
      const global = program.opts<GlobalOptions>();
      // A daemon logs each reconcile: info, unless --log-level says otherwise.
      const level = program.getOptionValueSource("logLevel") === "default" ? "info" : global.logLevel;
      const logger = createLogger(level, logDestination(global.logFormat, colorsFor(process.stderr).isColorSupported));
      try {
        const fn = await load();
        process.exitCode = await fn(opts, { ...global, logger, libbpfLog: libbpfLogSink(logger), interrupts: { hold: () => undefined } });
      } catch (err) {
        logger.debug({ err }, "command failed");
        await printError(err, false);
      }
    };

  hostOptions(
    configSource(program.command("plan"))
      .description("show what apply would change, without changing anything")
      .addOption(output(PLAN_FORMATS))
      .option("--detailed-exitcode", "exit 0 when there are no changes, 2 when there are, 1 on error")
      .option("--offline", "do not read the kernel: plan against an empty state (checks the config and objects only; no root needed)")
      .option("--observed <file>", "plan offline against a host's status instead (FILE: nfctl status -o json, taken on that host); implies --offline")
      .option(
        "--base-ref <ref>",
        "plan offline against hosts assumed to run the config at this git ref instead (with --git: a ref of that repository, same --path; with -f: a ref of the git work tree the paths lie in, and an object file the ref lacks, being built rather than committed, is taken from the work tree); implies --offline",
      )
      .option("--force", "plan the removal of programs other tools attached to hooks nfctl manages")
      .option("--interface <name>", "plan for this interface only, leaving the others as they are (repeatable)", collect)
      .option(
        "--out <file>",
        "also save the plan to FILE (JSON), for nfctl apply FILE on the host it was made against (not with --offline alone or --base-ref)",
      ),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  nfctl plan -f examples/lab.yaml\n  nfctl plan -f config/ --detailed-exitcode -o json\n  nfctl plan -f config/ --out plan.json && nfctl apply plan.json\n  nfctl plan -f config/ --offline --observed hosts/edge-1.json --hostname edge-1 --host-label role=edge -o markdown\n  nfctl plan -f config/ --base-ref origin/main --detailed-exitcode -o markdown\n  nfctl plan --git https://git.example.com/net/nfs.git --ref my-change --base-ref main --path hosts --cache-dir /tmp/nfctl-cache\n",
    )
    .action(run<PlanOptions>(async () => (await import("./plan.js")).planCommand));

  hostOptions(
    configSource(program.command("apply"))
      .argument("[plan-file]", "a plan saved by nfctl plan --out: apply exactly it, planning nothing (instead of -f or --git)")
      .description(
        "plan, print the plan, and apply it: every hook nfctl manages here converges on the config, so an NF the config does not list is stopped (on a terminal, nfctl asks first); or apply a saved plan",
      )
      .addOption(output(PLAN_FORMATS))
      .option("--dry-run", "plan and print only; change nothing")
      .option("--auto-approve", "do not ask before stopping network functions or detaching hooks (nfctl asks only on a terminal)")
      .option("--interface <name>", "plan and apply on this interface only, leaving the others as they are (repeatable)", collect)
      .option("--force", "remove programs other tools attached to hooks nfctl manages")
      .addOption(lockTimeout()),
  )
    .addHelpText("after", "\nExamples:\n  nfctl apply -f examples/lab.yaml\n  nfctl apply -f config/ --interface eth1\n  nfctl apply plan.json\n")
    .action((planFile: string | undefined, opts: Omit<ApplyOptions, "planFile">) =>
      run<ApplyOptions>(async () => (await import("./apply.js")).applyCommand)({ ...opts, ...(planFile !== undefined && { planFile }) }),
    );

  program
    .command("status")
    .description("show every hook nfctl manages here: chain, programs, generation, origin, counters and drift")
    .addOption(output())
    .addHelpText("after", "\nExample:\n  nfctl status -o json\n")
    .action(run<StatusOptions>(async () => (await import("./status.js")).statusCommand));

  program
    .command("destroy")
    .description("remove what nfctl manages (everything, or one interface's hooks), nothing else")
    .option("--interface <name>", "only this interface")
    .option("--dry-run", "show what would be removed; change nothing")
    .option("--auto-approve", "do not ask (nfctl asks only on a terminal)")
    .addOption(output())
    .addOption(lockTimeout())
    .addHelpText("after", "\nExamples:\n  nfctl destroy --dry-run\n  nfctl destroy --interface eth1\n  nfctl destroy\n")
    .action(run<DestroyOptions>(async () => (await import("./destroy.js")).destroyCommand));

  hostOptions(
    configSource(program.command("watch"), "config file or directory to watch (repeatable; all merge)")
      .description("reconcile continuously: on every change of a config directory or git repository, on interface events, on SIGHUP and every resync")
      .addOption(durationOption("--interval <duration>", "how often to fetch --git", "30s"))
      .addOption(durationOption("--resync <duration>", "reconcile this often without a change, which repairs drift", "60s"))
      .addOption(durationOption("--retry-interval <duration>", "the first retry after a failure; it doubles, up to --resync", "5s"))
      .addOption(durationOption("--debounce <duration>", "how long file events settle before a reconcile", "200ms"))
      .option("--allow-empty", "detach every hook when the source yields no network function")
      .option("--force", "remove programs other tools attached to hooks nfctl manages")
      .addOption(lockTimeout())
      .addOption(
        new Option("--listen <host:port>", "where to serve /metrics, /healthz, /readyz and /status")
          .argParser(listenAddress)
          .default(listenAddress(DEFAULT_LISTEN), DEFAULT_LISTEN),
      )
      .option("--expose-status", "serve /status to every client that reaches --listen, not to loopback clients only"),
  )
    .addHelpText(
      "after",
      "\nExamples:\n  nfctl watch -f /etc/nfctl\n  nfctl watch --git https://git.example.com/net/nfs.git --ref main --path hosts --interval 30s\n",
    )
    .action(runLoop<WatchOptions>(async () => (await import("./watch.js")).watchCommand));

  hostOptions(
    configSource(program.command("validate"))
      .description("check a config without a kernel and without root: YAML, schema, host selectors, objects, programs and maps; every problem at once")
      .addOption(output()),
  )
    .addHelpText("after", "\nExamples:\n  nfctl validate -f examples/\n  nfctl validate -f config/ --hostname edge-1 --host-label role=edge -o json\n")
    .action(run<ValidateOptions>(async () => (await import("./validate.js")).validateCommand));

  const image = program.command("image").description("build, push and inspect NF images (bpfman's bytecode image format, as OCI images)");
  image
    .command("build")
    .description("write a bpfman-compatible image of a BPF object (its programs and maps as labels) as an OCI image layout directory")
    .argument("<object>", "the BPF object file")
    .requiredOption("-t, --tag <ref>", "the image's reference, recorded in the layout (registry/repository:tag)")
    .requiredOption("--output <dir>", "the OCI image layout directory to write")
    .addHelpText("after", "\nExample:\n  nfctl image build bpf/build/counter.o -t localhost:5000/nfs/counter:v1 --output counter-image\n")
    .action((object: string, opts: Omit<ImageBuildOptions, "object">) =>
      run<ImageBuildOptions>(async () => (await import("./image.js")).imageBuildCommand)({ ...opts, object }),
    );
  addRegistryOptions(
    image
      .command("push")
      .description("send the image of an OCI image layout directory (nfctl image build's) to a registry")
      .argument("<layout>", "the OCI image layout directory")
      .argument("<ref>", "where to push it (registry/repository:tag)"),
    { signatures: false },
  )
    .addHelpText("after", "\nExample:\n  nfctl image push counter-image localhost:5000/nfs/counter:v1 --ca-file ca.pem\n")
    .action((layout: string, ref: string, opts: Omit<ImagePushOptions, "layout" | "ref">) =>
      run<ImagePushOptions>(async () => (await import("./image.js")).imagePushCommand)({ ...opts, layout, ref }),
    );
  addRegistryOptions(
    image
      .command("inspect")
      .description("show what an image holds: its digest, format, platform, the programs and maps its labels name and its object holds, the object's sha256")
      .argument("<ref>", "the image (registry/repository:tag or …@sha256:hex)")
      .addOption(cacheDirOption("where images are cached"))
      .addOption(output()),
  )
    .addHelpText("after", "\nExample:\n  nfctl image inspect localhost:5000/nfs/counter:v1 -o json\n")
    .action((ref: string, opts: Omit<ImageInspectOptions, "ref">) =>
      run<ImageInspectOptions>(async () => (await import("./image.js")).imageInspectCommand)({ ...opts, ref }),
    );

  program
    .command("version")
    .description("print nfctl's version and commit, the libbpf it found, the kernel and Node (for bug reports; --version prints the version only)")
    .addOption(output())
    .addHelpText("after", "\nExample:\n  nfctl version -o json\n")
    .action(run<VersionOptions>(async () => (await import("./version.js")).versionCommand));

  program
    .command("completion")
    .description("print a completion script for bash, zsh or fish, made from nfctl's own commands and options")
    .addArgument(new Argument("<shell>", "the shell").choices(SHELLS))
    .addHelpText(
      "after",
      "\nExamples:\n  source <(nfctl completion bash)       # in ~/.bashrc\n  source <(nfctl completion zsh)        # in ~/.zshrc, after compinit\n  nfctl completion fish > ~/.config/fish/completions/nfctl.fish\n",
    )
    .action(async (shell: Shell) => {
      process.stdout.write((await import("./completion.js")).completionScript(shell, program));
    });

  // A bare `nfctl` asks what there is, as `kubectl` does: the help, on stdout, exit 0.
  if (argv.length <= 2) {
    program.outputHelp();
    return;
  }
  program.parseAsync(argv).catch((err: unknown) => parseFailed(err, json));
}

main(process.argv);
