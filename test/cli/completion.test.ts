/**
 * `nfctl completion bash|zsh|fish`: every command and every long option
 * that `nfctl --help` and each command's --help list is in each script, and
 * bash and fish, loading the script, really complete commands, options and
 * their choices; zsh parses its script (zsh -n). scripts/setup.sh installs
 * zsh and fish.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function nfctl(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The commands of `nfctl --help`, and for each the long options of its --help, read from the help text (not from the code that writes the scripts). */
function helpListing(): Map<string, string[]> {
  const longOptions = (help: string) => [
    ...new Set(
      [
        ...help
          .split("\nOptions:\n")[1]!
          .split("\nCommands:\n")[0]!
          .matchAll(/^ {2}(?:-\w, )?(--[a-z-]+)/gm),
      ].map((m) => m[1]!),
    ),
  ];
  const top = nfctl(["--help"]).stdout;
  const commands = [...top.split("\nCommands:\n")[1]!.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((c) => c !== "help");
  const listing = new Map([["", longOptions(top)]]);
  for (const command of commands) listing.set(command, longOptions(nfctl([command, "--help"]).stdout));
  return listing;
}

const listing = helpListing();
const script = (shell: string) => {
  const r = nfctl(["completion", shell]);
  return { code: r.code, stderr: r.stderr, text: r.stdout };
};
const scripts = { bash: script("bash"), zsh: script("zsh"), fish: script("fish") };

t.test("each script is printed, exit 0, nothing on stderr", async (t) => {
  t.ok(listing.size >= 8, `the help lists the commands: ${[...listing.keys()].join(", ")}`);
  t.ok(listing.has("completion") && listing.has("version"));
  for (const [shell, r] of Object.entries(scripts)) {
    t.equal(r.code, 0, `${shell}: ${r.stderr}`);
    t.equal(r.stderr, "", shell);
  }
});

t.test("every command and every long option is in every script", async (t) => {
  for (const [command, options] of listing) {
    const bashCase = command === "" ? scripts.bash.text : scripts.bash.text.split(`\n    ${command})\n`)[1]!.split(/\n {4}(?=\S)/)[0]!;
    const zshCase = command === "" ? scripts.zsh.text.split("case $state")[0]! : scripts.zsh.text.split(`\n        ${command})\n`)[1]!.split(" ;;\n")[0]!;
    const fishLines = scripts.fish.text
      .split("\n")
      .filter((l) => (command === "" ? !l.includes("__fish_seen_subcommand_from") : l.includes(`__fish_seen_subcommand_from ${command}'`)));
    if (command !== "") {
      t.match(scripts.bash.text, new RegExp(`else words="[^"]*\\b${command}\\b`), `bash offers ${command}`);
      t.match(scripts.zsh.text, `    '${command}:`, `zsh offers ${command}`);
      t.match(scripts.fish.text, `complete -c nfctl -n __fish_use_subcommand -a ${command} -d `, `fish offers ${command}`);
    }
    for (const option of options) {
      t.match(bashCase, new RegExp(`words="(?:[^"]* )?${option}[ "]`), `bash: ${command || "nfctl"} ${option}`);
      t.ok(zshCase.includes(`${option}[`) || zshCase.includes(`,${option}}`), `zsh: ${command || "nfctl"} ${option}`);
      t.ok(
        fishLines.some((l) => l.includes(` -l ${option.slice(2)} `)) ||
          scripts.fish.text.split("\n").some((l) => !l.includes(" -n ") && l.includes(` -l ${option.slice(2)} `)),
        `fish: ${command || "nfctl"} ${option}`,
      );
    }
  }
});

/** What bash completes for the words typed so far (the last one being completed). */
function complete(words: string[]): string {
  const script = `source <("${process.execPath}" "${NFCTL}" completion bash)\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}\n_nfctl\necho "\${COMPREPLY[*]}"\n`;
  const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`bash failed: ${r.stderr}`);
  return r.stdout.trim();
}

t.test("bash completes commands, options and their choices", async (t) => {
  t.equal(spawnSync("bash", ["-n"], { input: scripts.bash.text }).status, 0, "bash -n: the script parses");
  t.equal(complete(["nfctl", "pl"]), "plan");
  t.equal(complete(["nfctl", ""]), "plan apply status destroy watch validate image version completion help");
  t.equal(complete(["nfctl", "--bpffs", "/tmp/x", "st"]), "status", "a global option's value is not the command");
  t.equal(complete(["nfctl", "plan", "--off"]), "--offline");
  t.equal(complete(["nfctl", "plan", "-o", ""]), "text json markdown", "the choices of -o");
  t.equal(complete(["nfctl", "status", "--output", "j"]), "json");
  t.equal(complete(["nfctl", "--log-level", "de"]), "debug");
  t.equal(complete(["nfctl", "completion", ""]), "bash zsh fish", "an argument's choices");
  t.equal(complete(["nfctl", "apply", "-f", ""]), "", "a path: left to bash's file names (complete -o default)");
  t.match(scripts.bash.text, /\ncomplete -o default -F _nfctl nfctl\n$/);
});

/** What fish completes for the command line typed so far. */
function fishCompletes(line: string): string[] {
  const r = spawnSync("fish", ["--no-config", "-c", `${scripts.fish.text}\ncomplete -C ${JSON.stringify(line)}`], { encoding: "utf8" });
  if (r.error || r.status !== 0) throw new Error(`fish failed (scripts/setup.sh installs it): ${r.error?.message ?? r.stderr}`);
  return r.stdout.split("\n").filter((l) => l !== "");
}

t.test("zsh parses its script; fish parses and completes", async (t) => {
  const zsh = spawnSync("zsh", ["-n"], { input: scripts.zsh.text, encoding: "utf8" });
  t.equal(zsh.error?.message ?? zsh.status, 0, `zsh -n (scripts/setup.sh installs zsh): ${zsh.stderr}`);
  // fish -n checks a file (with -c it answers 0 whatever it reads).
  const file = join(t.testdir(), "nfctl.fish");
  writeFileSync(file, scripts.fish.text);
  const fish = spawnSync("fish", ["--no-config", "-n", file], { encoding: "utf8" });
  t.equal(fish.error?.message ?? fish.status, 0, `fish -n: ${fish.stderr}`);
  t.same(fishCompletes("nfctl pl"), ["plan\tshow what apply would change, without changing anything"]);
  t.same(fishCompletes("nfctl plan -o "), ["json\toutput format", "markdown\toutput format", "text\toutput format"]);
  t.same(fishCompletes("nfctl completion "), ["bash", "fish", "zsh"]);
  t.same(fishCompletes("nfctl status --outp"), ["--output\toutput format"]);
});

t.test("zsh and fish: the script's frame, and option choices", async (t) => {
  t.match(scripts.zsh.text, /^#compdef nfctl\n/);
  t.match(
    scripts.zsh.text,
    /\nif \[ "\$funcstack\[1\]" = "_nfctl" \]; then\n {2}_nfctl "\$@"\nelse\n {2}compdef _nfctl nfctl\nfi\n$/,
    "works sourced and from $fpath",
  );
  t.match(scripts.zsh.text, `'(-o --output)'{-o,--output}'[output format]:output:(text json markdown)'`);
  t.match(scripts.zsh.text, `'*'{-f,--file}'[`, "-f repeats");
  t.match(scripts.zsh.text, `'1:shell:(bash zsh fish)'`);
  t.match(scripts.fish.text, "complete -c nfctl -n '__fish_seen_subcommand_from plan' -s o -l output -x -a 'text json markdown' -d 'output format'\n");
  t.match(scripts.fish.text, "complete -c nfctl -n '__fish_seen_subcommand_from completion' -f -a 'bash zsh fish'\n");
  t.match(scripts.fish.text, "complete -c nfctl -l log-level -x -a 'fatal error warn info debug trace silent' -d ");
});

t.test("another shell is refused", async (t) => {
  const r = nfctl(["completion", "tcsh"]);
  t.equal(r.code, 1);
  t.equal(r.stdout, "");
  t.match(r.stderr, "Allowed choices are bash, zsh, fish");
});
