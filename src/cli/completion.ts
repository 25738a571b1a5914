/**
 * `nfctl completion bash|zsh|fish`: a completion script made from the
 * commander program itself (its commands, options, option choices and
 * argument choices), so that it never goes stale when a command or an
 * option is added.
 */
import type { Command, Option } from "commander";

/** The shells nfctl writes completion scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionShape {
  long: string;
  short?: string;
  /** Whether a value follows the option. */
  takesValue: boolean;
  choices?: readonly string[];
  description: string;
}

interface CommandShape {
  name: string;
  description: string;
  options: OptionShape[];
  /** The positional arguments: each one's name and its choices, if it has any. */
  args: Array<{ name: string; choices?: readonly string[] }>;
}

/** Names that go into the scripts unquoted: option names, commands, choices. */
const PLAIN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function plain(word: string): string {
  if (!PLAIN.test(word.replace(/^--?/, ""))) throw new Error(`completion: ${JSON.stringify(word)} cannot be written unquoted into a completion script`);
  return word;
}

/** A description's first clause, for a completion menu. */
function brief(description: string): string {
  const clause = description.split(/[;(]|: /)[0]!.trim();
  return clause.length > 80 ? `${clause.slice(0, 77)}...` : clause;
}

function optionShape(option: Option): OptionShape {
  return {
    long: plain(option.long!),
    ...(option.short !== undefined && { short: plain(option.short) }),
    takesValue: option.required || option.optional,
    ...(option.argChoices !== undefined && { choices: option.argChoices.map(plain) }),
    description: brief(option.description),
  };
}

const HELP: OptionShape = { long: "--help", short: "-h", takesValue: false, description: "display help" };

/** The program's commands and global options, as the scripts need them. */
function shapeOf(program: Command): { global: OptionShape[]; commands: CommandShape[] } {
  const global = [...program.options.filter((o) => !o.hidden && o.long !== undefined).map(optionShape), HELP];
  const commands = program.commands.map((cmd) => ({
    name: plain(cmd.name()),
    description: brief(cmd.description()),
    options: [...cmd.options.filter((o) => !o.hidden && o.long !== undefined).map(optionShape), HELP],
    args: cmd.registeredArguments.map((arg) => ({ name: arg.name(), ...(arg.argChoices !== undefined && { choices: arg.argChoices.map(plain) }) })),
  }));
  return { global, commands };
}

/**
 * The completion script of `program` for `shell`.
 *
 * @example
 *     completionScript("bash", program) // "# nfctl completion for bash ...\n_nfctl() { ... }\ncomplete -o default -F _nfctl nfctl\n"
 */
export function completionScript(shell: Shell, program: Command): string {
  const shape = shapeOf(program);
  const name = plain(program.name());
  if (shell === "bash") return bashScript(name, shape);
  if (shell === "zsh") return zshScript(name, shape);
  return fishScript(name, shape);
}

const flagsOf = (options: OptionShape[]) => options.flatMap((o) => (o.short ? [o.short, o.long] : [o.long]));

/** bash: the word's command is the first word that is neither an option nor a global option's value. */
function bashScript(name: string, { global, commands }: ReturnType<typeof shapeOf>): string {
  const globalValued = flagsOf(global.filter((o) => o.takesValue));
  const valueCases = (options: OptionShape[]) =>
    options
      .filter((o) => o.takesValue)
      .map((o) => {
        const reply = o.choices ? `COMPREPLY=($(compgen -W "${o.choices.join(" ")}" -- "$cur"))` : "COMPREPLY=()";
        return `        ${flagsOf([o]).join("|")}) ${reply}; return ;;\n`;
      })
      .join("");
  const commandCase = (cmd: CommandShape) => {
    const options = [...cmd.options, ...global.filter((g) => g.long !== "--help")];
    const positional = cmd.args.flatMap((a) => a.choices ?? []);
    return (
      `    ${cmd.name})\n      case $prev in\n${valueCases(options)}      esac\n` +
      `      if [[ $cur == -* ]]; then words="${flagsOf(options).join(" ")}"; else words="${positional.join(" ")}"; fi ;;\n`
    );
  };
  return (
    `# nfctl completion for bash (made by \`${name} completion bash\`). Load it with\n` +
    `#   source <(${name} completion bash)\n` +
    `# in ~/.bashrc, or save it as /etc/bash_completion.d/${name}.\n` +
    `_${name}() {\n` +
    `  local cur=\${COMP_WORDS[COMP_CWORD]} prev=\${COMP_WORDS[COMP_CWORD-1]} cmd= words= i\n` +
    `  for ((i = 1; i < COMP_CWORD; i++)); do\n` +
    `    case \${COMP_WORDS[i]} in\n` +
    (globalValued.length > 0 ? `      ${globalValued.join("|")}) ((i++)) ;;\n` : "") +
    `      -*) ;;\n` +
    `      *) cmd=\${COMP_WORDS[i]}; break ;;\n` +
    `    esac\n` +
    `  done\n` +
    `  case $cmd in\n` +
    `    "")\n      case $prev in\n${valueCases(global)}      esac\n` +
    `      if [[ $cur == -* ]]; then words="${flagsOf(global).join(" ")}"; else words="${commands.map((c) => c.name).join(" ")} help"; fi ;;\n` +
    commands.map(commandCase).join("") +
    `  esac\n` +
    `  COMPREPLY=($(compgen -W "$words" -- "$cur"))\n` +
    `}\n` +
    `complete -o default -F _${name} ${name}\n`
  );
}

/** A description inside zsh's single quotes and _arguments' brackets. */
const zshText = (text: string) => text.replace(/'/g, "'\\''").replace(/[[\]]/g, "").replace(/:/g, " -");

function zshOption(o: OptionShape): string {
  const value = o.takesValue ? `:${o.long.slice(2)}:${o.choices ? `(${o.choices.join(" ")})` : "_files"}` : "";
  const spec = `[${zshText(o.description)}]${value}'`;
  // An option with a free value may be repeatable (-f, --host-label): zsh offers it again.
  const again = o.takesValue && !o.choices;
  if (!o.short) return `'${again ? "*" : ""}${o.long}${spec}`;
  return `'${again ? "*" : `(${o.short} ${o.long})`}'{${o.short},${o.long}}'${spec}`;
}

function zshScript(name: string, { global, commands }: ReturnType<typeof shapeOf>): string {
  const commandCase = (cmd: CommandShape) => {
    const specs = [
      ...cmd.options.map(zshOption),
      ...cmd.args.map((a, i) => `'${i + 1}:${zshText(a.name)}:${a.choices ? `(${a.choices.join(" ")})` : "_files"}'`),
    ];
    return `        ${cmd.name})\n          _arguments \\\n            ${specs.join(" \\\n            ")} ;;\n`;
  };
  return (
    `#compdef ${name}\n` +
    `# nfctl completion for zsh (made by \`${name} completion zsh\`). Load it with\n` +
    `#   source <(${name} completion zsh)\n` +
    `# in ~/.zshrc after compinit, or save it as _${name} in a directory of $fpath.\n` +
    `_${name}() {\n` +
    `  local -a commands\n` +
    `  commands=(\n${commands.map((c) => `    '${c.name}:${zshText(c.description)}'\n`).join("")}    'help:display help for a command'\n  )\n` +
    `  local curcontext=$curcontext state line\n` +
    `  _arguments -C \\\n` +
    global.map((o) => `    ${zshOption(o)} \\\n`).join("") +
    `    '(-): :->command' \\\n` +
    `    '(-)*:: :->args'\n` +
    `  case $state in\n` +
    `    command) _describe -t commands '${name} command' commands ;;\n` +
    `    args)\n` +
    `      curcontext=\${curcontext%:*:*}:${name}-$words[1]:\n` +
    `      case $words[1] in\n` +
    commands.map(commandCase).join("") +
    `      esac ;;\n` +
    `  esac\n` +
    `}\n` +
    `if [ "$funcstack[1]" = "_${name}" ]; then\n  _${name} "$@"\nelse\n  compdef _${name} ${name}\nfi\n`
  );
}

/** A description inside fish's single quotes. */
const fishText = (text: string) => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

function fishOption(name: string, condition: string | undefined, o: OptionShape): string {
  const parts = [`complete -c ${name}`];
  if (condition) parts.push(`-n '${condition}'`);
  if (o.short) parts.push(`-s ${o.short.slice(1)}`);
  parts.push(`-l ${o.long.slice(2)}`);
  if (o.takesValue) parts.push(o.choices ? `-x -a '${o.choices.join(" ")}'` : "-r -F");
  parts.push(`-d ${fishText(o.description)}`);
  return `${parts.join(" ")}\n`;
}

function fishScript(name: string, { global, commands }: ReturnType<typeof shapeOf>): string {
  return (
    `# nfctl completion for fish (made by \`${name} completion fish\`). Save it with\n` +
    `#   ${name} completion fish > ~/.config/fish/completions/${name}.fish\n` +
    `complete -c ${name} -n __fish_use_subcommand -f\n` +
    commands.map((c) => `complete -c ${name} -n __fish_use_subcommand -a ${c.name} -d ${fishText(c.description)}\n`).join("") +
    `complete -c ${name} -n __fish_use_subcommand -a help -d 'display help for a command'\n` +
    // Global options, --help among them, hold after a command too.
    global.map((o) => fishOption(name, undefined, o)).join("") +
    commands
      .map((c) => {
        const condition = `__fish_seen_subcommand_from ${c.name}`;
        const args = c.args.flatMap((a) => a.choices ?? []);
        return (
          c.options
            .filter((o) => o !== HELP)
            .map((o) => fishOption(name, condition, o))
            .join("") + (args.length > 0 ? `complete -c ${name} -n '${condition}' -f -a '${args.join(" ")}'\n` : "")
        );
      })
      .join("")
  );
}
