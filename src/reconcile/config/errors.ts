/**
 * Errors in a config that a user made, as values: where (file, line,
 * column, field path) and what, in a sentence. They are printed, never
 * thrown, so a typo never ends in a stack trace.
 */

import type { CodeProblem } from "../../state/index.js";

/** One step into the config: a field name or a list index. */
export type PathSegment = string | number;

/**
 * What kind of problem an error is, for machines (`nfctl validate -o json`,
 * editors, CI annotations): stable across releases, unlike the message.
 * README.md ("Errors") lists them.
 */
export type ConfigErrorCode =
  // Reading the files.
  | "file-unreadable"
  | "file-too-large"
  | "file-encoding"
  | "file-empty"
  | "no-config"
  // YAML.
  | "yaml-syntax"
  | "yaml-duplicate-key"
  | "yaml-collection-key"
  // The schema.
  | "schema-required"
  | "schema-unknown-field"
  | "schema-type"
  | "schema-enum"
  | "schema-pattern"
  | "schema-length"
  | "schema-duplicate-item"
  | "schema-needs-one-of"
  | "schema-invalid"
  // What the schema cannot say.
  | "host-selector"
  | "interface-duplicate"
  | "nf-name-duplicate"
  | "hook-conflict"
  // Objects, programs and maps.
  | "object-not-found"
  | "object-outside-source"
  | "object-invalid"
  | "program-not-found"
  | "program-wrong-type"
  | "proceed-on-unsupported"
  | "chain-unaware-not-last"
  | "map-not-found"
  | "map-unwritable"
  | "map-value"
  // NF code from artifacts and images (state/code-source.ts), fetched by sources/artifacts.
  | CodeProblem
  // The host.
  | "interface-not-found";

export interface ConfigError {
  /** File path as given on the command line (or "<stdin>"). */
  file: string;
  /** 1-based; 0 when the error concerns the whole file. */
  line: number;
  column: number;
  /** Field path in the file, e.g. "spec.interfaces[0].xdp.chain[1].program"; "" for the whole document. */
  path: string;
  code: ConfigErrorCode;
  message: string;
}

/**
 * The one-line form of an error, as compilers print them.
 *
 * @example
 *     formatConfigError({ file: "edge.yaml", line: 9, column: 13, path: "spec.interfaces[0].xdp.chain[0]", message: 'unknown field "progam" (did you mean "program"?)' })
 *     // 'edge.yaml:9:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)'
 */
export function formatConfigError(error: Omit<ConfigError, "code">): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  const what = error.path ? `${error.path}: ${error.message}` : error.message;
  return `${where}: ${readable(what)}`;
}

/**
 * Text quoted from a config as it can be shown: long words cut, invisible
 * characters escaped (see shorten and escapeInvisible below). For what
 * shows a message without formatConfigError: nfctl's JSON diagnostics.
 *
 * @example
 *     readable('unknown field "pro\u202egram"') // 'unknown field "pro\\u202egram"'
 */
export function readable(text: string): string {
  return escapeInvisible(shorten(text));
}

/**
 * The longest word (a run without spaces) a message shows whole: longer
 * than any real path, and a long word is shown as its first HEAD and last
 * TAIL characters.
 */
const MAX_WORD = 400;
const HEAD = 100;
const TAIL = 40;
/** The most characters of a message shown, when even its words are short. */
const MAX_MESSAGE = 2000;

/**
 * A message with every word of over MAX_WORD characters cut to its two
 * ends and its length, and then, were it still longer, the message cut
 * after MAX_MESSAGE characters. Messages quote what the config says (a
 * field name, a value, an object path), and a config may say 10 MB in one
 * value: the line must still be readable, and a terminal must survive it.
 *
 * @example
 *     shorten(`unknown field "${"x".repeat(5000)}"`)
 *     // 'unknown field "' + "x".repeat(99) + "…(5,002 characters)…" + "x".repeat(39) + '"'
 */
function shorten(message: string): string {
  // Split, not a regex of long words: V8 runs out of stack matching \S{101,} in 10 MB.
  const words = message
    .split(/(\s+)/)
    .map((word) => {
      if (word.length <= MAX_WORD || /^\s/.test(word)) return word;
      const head = word.slice(0, wholeCharacters(word, HEAD));
      const tail = word.slice(wholeCharacters(word, word.length - TAIL));
      return `${head}…(${word.length.toLocaleString("en-US")} characters)…${tail}`;
    })
    .join("");
  if (words.length <= MAX_MESSAGE) return words;
  const cut = wholeCharacters(words, MAX_MESSAGE);
  return `${words.slice(0, cut)}…(${(words.length - cut).toLocaleString("en-US")} more characters)`;
}

/** `at`, moved back one place if it would split a surrogate pair. */
function wholeCharacters(text: string, at: number): number {
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at - 1 : at;
}

/**
 * Control characters (newlines, NUL, ESC), invisible format characters
 * (zero-width joiners, bidi overrides, BOM), line separators and lone
 * surrogates, which messages quote from the config, written as escapes: one
 * problem stays one line, a terminal shows what is there, and nothing in a
 * config can restyle or reorder the line.
 *
 * @example
 *     escapeInvisible('unknown field "pro\ngram"') // 'unknown field "pro\\ngram"'
 */
function escapeInvisible(text: string): string {
  return text.replace(INVISIBLE, (c) => {
    const code = c.codePointAt(0)!;
    return ESCAPES[c] ?? (code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, "0")}`);
  });
}

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]|\p{Cs}/gu;
const ESCAPES: Record<string, string> = { "\0": "\\0", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** Orders errors of one file as they appear in it. */
export function byPosition(a: ConfigError, b: ConfigError): number {
  return a.line - b.line || a.column - b.column;
}

/**
 * A field path in the notation people use for it: names joined by dots,
 * list indices in brackets, names that are not identifiers quoted.
 *
 * @example
 *     formatPath(["spec", "interfaces", 0, "xdp", "chain", 1, "maps", "blocklist_v4", "10.0.0.0/8"])
 *     // 'spec.interfaces[0].xdp.chain[1].maps.blocklist_v4["10.0.0.0/8"]'
 */
export function formatPath(path: readonly PathSegment[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
