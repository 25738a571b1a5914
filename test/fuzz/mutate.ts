/**
 * A deterministic mutator of nfctl configs, for the fuzz tests.
 *
 * Every case is a function of (seed, case number) alone: `caseRng(seed, n)`
 * gives the case its own PRNG stream, so any single case can be made again
 * from the two numbers the test prints, without running the cases before it.
 *
 * Mutations start from valid configs and each knows its kind: text edits
 * (lines deleted, duplicated, swapped, characters inserted, indentation
 * broken, truncation, random bytes) and edits of the parsed YAML (wrong
 * types, huge values, deep nesting, odd unicode, odd object paths, duplicate
 * keys, alias bombs, several documents, BOMs, CRLF, tabs, typos in and
 * removal of fields).
 */
import { Scalar, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from "yaml";

// ---------------------------------------------------------------- the PRNG

/**
 * sfc32 (Chris Doty-Humphrey's Small Fast Counter), seeded through
 * splitmix32: 32-bit state words, passes PractRand far beyond what a fuzz
 * test draws, and exact in JS integer arithmetic.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    let s = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
    const splitmix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** In [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("pick from nothing");
    return items[this.int(items.length)]!;
  }

  /** One of `choices`, each as likely as its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    const total = choices.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [value, weight] of choices) {
      x -= weight;
      if (x < 0) return value;
    }
    return choices[choices.length - 1]![0];
  }
}

/** The PRNG of case `n` of a run with `seed`: independent of every other case. */
export function caseRng(seed: number, n: number): Rng {
  return new Rng(seed, n + 1);
}

// ---------------------------------------------------------------- seeds and context

/** A valid config to mutate. */
export interface SeedConfig {
  name: string;
  text: string;
  /** True for the examples, whose objects are bundled NFs (builtin:NAME; relative paths once); false for absolute object paths. */
  relative: boolean;
}

/** Paths the mutations may point `object` at, made by the test before it runs. */
export interface Specials {
  /** A directory. */
  dir: string;
  /** Two symlinks pointing at each other. */
  loop: string;
  /** A named pipe nobody writes: opening it for reading would block. */
  fifo: string;
  /** A symlink to nothing. */
  dangling: string;
  /** An empty file. */
  empty: string;
  /** The first 200 bytes of counter.o. */
  truncated: string;
  /** A symlink to counter.o: a valid object. */
  link: string;
}

export interface MutationContext {
  /** Absolute bpf/build. */
  build: string;
  specials: Specials;
  /** Every seed: multi-document mutations append another. */
  seeds: readonly SeedConfig[];
}

/** The kinds of mutation, each of which the test counts. */
export const MUTATION_KINDS = [
  "delete-line",
  "duplicate-line",
  "swap-lines",
  "insert-chars",
  "break-indent",
  "truncate",
  "random-bytes",
  "wrong-type",
  "huge-value",
  "deep-nesting",
  "odd-unicode",
  "object-path",
  "duplicate-key",
  "alias-bomb",
  "multi-document",
  "bom",
  "crlf",
  "tabs",
  "field-typo",
  "remove-field",
] as const;

export type MutationKind = (typeof MUTATION_KINDS)[number];

export interface Mutation {
  kind: MutationKind;
  /** The text edit made on top of it, if one was. */
  onTop?: MutationKind;
  /** What was done, for a person reading a failure. */
  detail: string;
  /** The mutated file, as bytes: some mutations are not valid UTF-8 on purpose. */
  bytes: Buffer;
  /** Large or deeply nested: allowed more time than the others. */
  heavy: boolean;
}

/**
 * How often each kind is drawn: the kinds that reach the most distinct
 * checks (types, object paths, unicode) half again as often as the rest.
 * Heavy kinds are as frequent as the rest; their heavy variants are rare.
 */
const KIND_WEIGHTS: ReadonlyArray<readonly [MutationKind, number]> = MUTATION_KINDS.map(
  (k) => [k, k === "wrong-type" || k === "object-path" || k === "odd-unicode" ? 1.5 : 1] as const,
);

/**
 * Mutates one seed: one mutation of a kind drawn at random, and sometimes a
 * text edit on top (the kind stays the first one's; the detail says both).
 */
export function mutate(rng: Rng, seed: SeedConfig, ctx: MutationContext): Mutation {
  const kind = rng.weighted(KIND_WEIGHTS);
  const first = MUTATORS[kind](rng, seed.text, ctx, seed);
  let { bytes, detail } = first;
  let onTop: MutationKind | undefined;
  // A text edit on top, where the bytes are text (valid UTF-8) and not huge.
  if (rng.chance(0.12) && bytes.length < 2_000_000) {
    const asText = bytes.toString("utf8");
    if (Buffer.from(asText, "utf8").equals(bytes)) {
      const extra = rng.pick(TEXT_KINDS);
      const second = MUTATORS[extra](rng, asText, ctx, seed);
      bytes = second.bytes;
      detail += ` + ${extra}: ${second.detail}`;
      onTop = extra;
    }
  }
  return {
    kind,
    ...(onTop !== undefined && { onTop }),
    detail: `${seed.name}: ${kind}: ${detail}`,
    bytes,
    heavy: first.heavy === true || bytes.length > 1_000_000,
  };
}

interface Edit {
  detail: string;
  bytes: Buffer;
  heavy?: boolean;
}

type Mutator = (rng: Rng, text: string, ctx: MutationContext, seed: SeedConfig) => Edit;

const TEXT_KINDS = ["delete-line", "duplicate-line", "swap-lines", "insert-chars", "break-indent", "truncate"] as const satisfies readonly MutationKind[];

const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");

// ---------------------------------------------------------------- text edits

const lines = (text: string): string[] => text.split("\n");

/** Lines holding something, so that edits mostly change meaning (comments and blanks excepted). */
function meaningfulLines(all: string[]): number[] {
  const picked = all.flatMap((line, i) => (/^\s*(#|$)/.test(line) ? [] : [i]));
  return picked.length > 0 ? picked : all.map((_, i) => i);
}

/** Characters that matter to YAML, plain ones, and a few that matter to nothing. */
const INSERTABLE = [..."-:?,[]{}#&*!|>'\"%@`~ \t\\", ..."abcxyz019", "\n", "\r", "\0", "\u00e9", "\u200d", "\u202e", "\ufeff", "\u{1f4a5}", "\u2028", "\u0085"];

const MUTATORS: Record<MutationKind, Mutator> = {
  "delete-line": (rng, text) => {
    const all = lines(text);
    const i = rng.pick(meaningfulLines(all));
    const count = rng.chance(0.8) ? 1 : rng.range(2, 5);
    all.splice(i, count);
    return { detail: `deleted ${count} line(s) from line ${i + 1}`, bytes: utf8(all.join("\n")) };
  },

  "duplicate-line": (rng, text) => {
    const all = lines(text);
    const i = rng.pick(meaningfulLines(all));
    const times = rng.chance(0.9) ? 1 : rng.range(2, 50);
    all.splice(i, 0, ...Array<string>(times).fill(all[i]!));
    return { detail: `line ${i + 1} written ${times + 1} times`, bytes: utf8(all.join("\n")) };
  },

  "swap-lines": (rng, text) => {
    const all = lines(text);
    const candidates = meaningfulLines(all);
    const i = rng.pick(candidates);
    const j = rng.chance(0.6) ? Math.min(all.length - 1, i + 1) : rng.pick(candidates);
    [all[i], all[j]] = [all[j]!, all[i]!];
    return { detail: `swapped lines ${i + 1} and ${j + 1}`, bytes: utf8(all.join("\n")) };
  },

  "insert-chars": (rng, text) => {
    const count = rng.weighted([
      [1, 6],
      [rng.range(2, 8), 3],
      [rng.range(9, 200), 1],
    ]);
    const inserted = Array.from({ length: count }, () => rng.pick(INSERTABLE)).join("");
    // Mostly where it matters: just after a key's colon, or at a line's start.
    const all = lines(text);
    const i = rng.pick(meaningfulLines(all));
    const line = all[i]!;
    const colon = line.indexOf(":");
    const at = rng.weighted([
      [colon >= 0 ? colon + 1 : 0, 2],
      [line.search(/\S|$/), 1],
      [rng.int(line.length + 1), 2],
    ]);
    all[i] = line.slice(0, at) + inserted + line.slice(at);
    return { detail: `inserted ${JSON.stringify(inserted)} in line ${i + 1} at column ${at + 1}`, bytes: utf8(all.join("\n")) };
  },

  "break-indent": (rng, text) => {
    const all = lines(text);
    const i = rng.pick(meaningfulLines(all));
    const indent = all[i]!.search(/\S|$/);
    const delta = rng.pick([-indent, -2, -1, 1, 2, 3, 8]);
    const width = Math.max(0, indent + delta);
    const count = rng.chance(0.7) ? 1 : rng.range(2, 6);
    for (let k = i; k < Math.min(all.length, i + count); k++) all[k] = " ".repeat(width) + all[k]!.trimStart();
    return { detail: `indented ${count} line(s) from line ${i + 1} to ${width} columns`, bytes: utf8(all.join("\n")) };
  },

  truncate: (rng, text) => {
    const bytes = utf8(text);
    // Anywhere, even inside a multi-byte character.
    const at = rng.chance(0.1) ? rng.int(8) : rng.int(bytes.length);
    return { detail: `cut at byte ${at} of ${bytes.length}`, bytes: bytes.subarray(0, at) };
  },

  "random-bytes": (rng, text) => {
    const bytes = Buffer.from(utf8(text));
    const count = rng.range(1, 8);
    const at: number[] = [];
    for (let k = 0; k < count; k++) {
      const i = rng.int(bytes.length);
      bytes[i] = rng.chance(0.5) ? rng.int(256) : rng.pick([0x00, 0x80, 0xc0, 0xed, 0xf8, 0xfe, 0xff, 0x0d, 0x09, 0x1b]);
      at.push(i);
    }
    return { detail: `replaced the bytes at ${at.join(", ")}`, bytes };
  },

  "wrong-type": (rng, text) =>
    structural(rng, text, (_doc, site) => {
      const fragment = rng.pick(WRONG_TYPES);
      return { detail: `${describeSite(site)} = ${fragment}`, fragment };
    }),

  "huge-value": (rng, text) => hugeValue(rng, text),

  "deep-nesting": (rng, text) => deepNesting(rng, text),

  "odd-unicode": (rng, text) => oddUnicode(rng, text),

  "object-path": (rng, text, ctx) => objectPath(rng, text, ctx),

  "duplicate-key": (rng, text) => {
    const all = lines(text);
    const keyed = all.flatMap((line, i) => (/^\s*(- )?[^\s#:][^:#]*:(\s|$)/.test(line) ? [i] : []));
    const i = rng.pick(keyed.length > 0 ? keyed : [0]);
    const line = all[i]!.replace(/^(\s*)- /, "$1  ");
    const copy = rng.chance(0.5) ? line : line.replace(/:.*$/, `: ${rng.pick(["1", "x", "null", "[]", "{}", "true"])}`);
    // Right after it: the same mapping, whatever the line was in.
    all.splice(i + 1, 0, copy);
    return { detail: `line ${i + 1}'s key written again: ${JSON.stringify(copy.trim())}`, bytes: utf8(all.join("\n")) };
  },

  "alias-bomb": (rng, text) => aliasBomb(rng, text),

  "multi-document": (rng, text, ctx, seed) => {
    const other = rng.pick(ctx.seeds.filter((s) => s.relative === seed.relative));
    const variant = rng.pick([
      ["the same config twice", `${text}\n---\n${text}`],
      [`then ${other.name}`, `${text}\n---\n${other.text}`],
      ["a leading ---", `---\n${text}`],
      ["an empty document before", `---\n---\n${text}`],
      ["a document end marker, then junk", `${text}\n...\njunk: [\n`],
      ["a scalar document after", `${text}\n--- hello\n`],
      ["a list document after", `${text}\n---\n- 1\n- 2\n`],
      ["a hundred empty documents", `${"---\n".repeat(100)}${text}`],
      ["a %YAML 1.1 directive", `%YAML 1.1\n---\n${text}`],
      ["a %YAML 2.0 directive", `%YAML 2.0\n---\n${text}`],
      ["a directive without ---", `%YAML 1.2\n${text}`],
      ["an unknown directive", `%FOO bar\n---\n${text}`],
      ["a %TAG directive", `%TAG !e! tag:example.com,2000:\n---\n${text}`],
      ["--- in the middle of the config", insertAtLine(text, rng, "---")],
      ["... in the middle of the config", insertAtLine(text, rng, "...")],
    ] as const);
    return { detail: variant[0], bytes: utf8(variant[1]) };
  },

  bom: (rng, text) => {
    const variant = rng.pick(["utf-8", "utf-8 twice", "utf-8 in the middle", "utf-16le", "utf-16be", "utf-32le"] as const);
    const bom = "\ufeff";
    switch (variant) {
      case "utf-8":
        return { detail: "a UTF-8 BOM first", bytes: utf8(bom + text) };
      case "utf-8 twice":
        return { detail: "two UTF-8 BOMs first", bytes: utf8(bom + bom + text) };
      case "utf-8 in the middle":
        return { detail: "a UTF-8 BOM inside a line", bytes: utf8(insertInLine(text, rng, bom)) };
      case "utf-16le":
        return { detail: "the file in UTF-16LE with a BOM", bytes: Buffer.from(bom + text, "utf16le") };
      case "utf-16be":
        return { detail: "the file in UTF-16BE with a BOM", bytes: Buffer.from(bom + text, "utf16le").swap16() };
      case "utf-32le": {
        const out = Buffer.alloc((text.length + 1) * 4);
        [...(bom + text)].forEach((ch, i) => out.writeUInt32LE(ch.codePointAt(0)!, i * 4));
        return { detail: "the file in UTF-32LE with a BOM", bytes: out };
      }
    }
  },

  crlf: (rng, text) => {
    const variant = rng.pick(["all CRLF", "mixed CRLF and LF", "CR only", "a CR inside a line", "CRLF and a trailing CR"] as const);
    switch (variant) {
      case "all CRLF":
        return { detail: variant, bytes: utf8(text.replace(/\n/g, "\r\n")) };
      case "mixed CRLF and LF":
        return { detail: variant, bytes: utf8(text.replace(/\n/g, () => (rng.chance(0.5) ? "\r\n" : "\n"))) };
      case "CR only":
        return { detail: variant, bytes: utf8(text.replace(/\n/g, "\r")) };
      case "a CR inside a line":
        return { detail: variant, bytes: utf8(insertInLine(text, rng, "\r")) };
      case "CRLF and a trailing CR":
        return { detail: variant, bytes: utf8(`${text.replace(/\n/g, "\r\n")}\r`) };
    }
  },

  tabs: (rng, text) => {
    const all = lines(text);
    const variant = rng.pick(["tab indentation", "tab after the colon", "tab before the colon", "tabs everywhere", "a tab inside a value"] as const);
    const i = rng.pick(meaningfulLines(all));
    switch (variant) {
      case "tab indentation":
        all[i] = all[i]!.replace(/^( {2})+/, (m) => "\t".repeat(m.length / 2));
        break;
      case "tab after the colon":
        all[i] = all[i]!.replace(/: /, ":\t");
        break;
      case "tab before the colon":
        all[i] = all[i]!.replace(/:/, "\t:");
        break;
      case "tabs everywhere":
        return { detail: variant, bytes: utf8(text.replace(/ {2}/g, "\t")) };
      case "a tab inside a value":
        all[i] = all[i]!.replace(/: (\S)/, ": $1\t");
        break;
    }
    return { detail: `${variant} in line ${i + 1}`, bytes: utf8(all.join("\n")) };
  },

  "field-typo": (rng, text) =>
    structural(rng, text, (doc) => {
      const pairs = allPairs(doc);
      const pair = rng.pick(pairs);
      const key = pair.key as Scalar;
      const name = String(key.value);
      const typo = rng.pick([
        () => name.slice(0, -1),
        () => `${name}s`,
        () => (name.length > 2 ? name[1]! + name[0]! + name.slice(2) : `${name}x`),
        () => name.toUpperCase(),
        () => name[0]!.toUpperCase() + name.slice(1),
        () => name.toLowerCase(),
        () => `${name}_`,
        () => `x-${name}`,
        () =>
          rng.pick([
            "progam",
            "objekt",
            "proceed_on",
            "tcingress",
            "tc_egress",
            "chains",
            "interface",
            "apiversion",
            "Kind",
            "meta",
            "specs",
            "mapz",
            "enable",
            "verison",
          ]),
      ])();
      pair.key = new Scalar(typo);
      return { detail: `field "${name}" renamed "${typo}"` };
    }),

  "remove-field": (rng, text) =>
    structural(rng, text, (_doc, site) => {
      if (isMap(site.parent)) site.parent.items.splice(site.parent.items.indexOf(site.pair!), 1);
      else if (isSeq(site.parent)) site.parent.items.splice(site.index!, 1);
      return { detail: `removed ${describeSite(site)}` };
    }),
};

/** Replacements of another type: numbers, strings, lists, mappings, null, booleans, tags. */
const WRONG_TYPES = [
  "42",
  "-1",
  "0",
  "3.14",
  "0x1F",
  "0o17",
  "1e3",
  "+12",
  "1_000",
  "true",
  "false",
  "yes",
  "off",
  "null",
  "~",
  "''",
  '""',
  "'a string'",
  "[]",
  "{}",
  "[1, 2, 3]",
  "[[1]]",
  "{a: 1}",
  "{name: x, object: y}",
  "[{}]",
  ".inf",
  "-.inf",
  ".nan",
  "2001-12-14",
  "2001-12-14t21:59:43.10-05:00",
  "12:30:00",
  "!!binary aGVsbG8=",
  "!!str 42",
  "!!int x",
  "!!float abc",
  "!!bool maybe",
  "!!null x",
  "!!set {a, b}",
  "!!omap [a: 1]",
  "!!timestamp 2001-12-14",
  "!nfctl x",
  "!<tag:yaml.org,2002:str> y",
  "&anchor 5",
  "*nowhere",
  "| \n",
  ">-",
  "'unterminated",
  '"unterminated',
  "[unterminated",
  "{unterminated: 1",
  "@reserved",
  "`reserved",
  "%percent",
  "- a list item",
  "? complex",
  "a: b",
  "#just a comment",
];

// ---------------------------------------------------------------- structural edits

/** A place in the parsed config: a node, its parent, and how the parent holds it. */
interface Site {
  node: Node | null;
  parent: Node;
  pair?: Pair;
  index?: number;
  path: Array<string | number>;
}

function allSites(doc: Document): Site[] {
  const out: Site[] = [];
  const pending: Array<{ node: unknown; path: Array<string | number> }> = [{ node: doc.contents, path: [] }];
  while (pending.length > 0) {
    const { node, path } = pending.pop()!;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "?";
        const child = { node: pair.value as Node | null, parent: node as Node, pair, path: [...path, key] };
        out.push(child);
        pending.push({ node: pair.value, path: child.path });
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => {
        const child = { node: item as Node | null, parent: node as Node, index, path: [...path, index] };
        out.push(child);
        pending.push({ node: item, path: child.path });
      });
    }
  }
  return out;
}

function allPairs(doc: Document): Pair[] {
  return allSites(doc).flatMap((s) => (s.pair && isScalar(s.pair.key) ? [s.pair] : []));
}

function describeSite(site: Site): string {
  return site.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("") || "(root)";
}

/** Puts `node` where `site` is. */
function replaceAt(site: Site, node: Node): void {
  if (site.pair) site.pair.value = node;
  else if (isSeq(site.parent)) site.parent.items[site.index!] = node;
}

const PLACEHOLDER = "FUZZPLACEHOLDER7361";

/**
 * Parses `text`, lets `edit` change a random site (or the document), and
 * writes the document back. An edit that returns a fragment has it written
 * verbatim where the site's value was: raw YAML, valid or not.
 */
function structural(
  rng: Rng,
  text: string,
  edit: (doc: Document, site: Site) => { detail: string; fragment?: string; heavy?: boolean },
  filter: (site: Site) => boolean = () => true,
): Edit {
  // A base may hold several documents (examples/fleet.yaml): edit one of them.
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs) || docs.some((d) => d.errors.length > 0)) return { detail: "nothing to edit", bytes: utf8(text) };
  const candidates = docs.filter((d) => allSites(d).some(filter));
  if (candidates.length === 0) return { detail: "nothing to edit", bytes: utf8(text) };
  const doc = candidates.length === 1 ? candidates[0]! : rng.pick(candidates);
  const site = rng.pick(allSites(doc).filter(filter));
  const { detail, fragment, heavy } = edit(doc, site);
  if (fragment !== undefined) replaceAt(site, new Scalar(PLACEHOLDER));
  let out = docs.map((d) => d.toString({ lineWidth: 0 })).join("");
  if (fragment !== undefined) out = spliceFragment(out, fragment);
  return { detail, bytes: utf8(out), heavy: heavy === true };
}

/** Writes `fragment` for the placeholder; a multi-line fragment is indented under its line. */
function spliceFragment(text: string, fragment: string): string {
  const at = text.indexOf(PLACEHOLDER);
  if (at < 0) return text;
  let replacement = fragment;
  if (fragment.includes("\n")) {
    const lineStart = text.lastIndexOf("\n", at) + 1;
    const indent = " ".repeat(text.slice(lineStart).search(/\S|$/) + 2);
    replacement = fragment
      .split("\n")
      .map((line, i) => (i === 0 ? line : indent + line))
      .join("\n");
  }
  return text.slice(0, at) + replacement + text.slice(at + PLACEHOLDER.length);
}

function insertAtLine(text: string, rng: Rng, line: string): string {
  const all = lines(text);
  all.splice(rng.int(all.length + 1), 0, line);
  return all.join("\n");
}

function insertInLine(text: string, rng: Rng, what: string): string {
  const all = lines(text);
  const i = rng.pick(meaningfulLines(all));
  const at = rng.int(all[i]!.length + 1);
  all[i] = all[i]!.slice(0, at) + what + all[i]!.slice(at);
  return all.join("\n");
}

// ---------------------------------------------------------------- huge values

function digits(rng: Rng, n: number): string {
  let s = String(rng.range(1, 9));
  while (s.length < n) s += String(rng.int(10)).repeat(Math.min(n - s.length, rng.range(1, 50)));
  return s;
}

function hugeValue(rng: Rng, text: string): Edit {
  const size = rng.weighted([
    ["small", 94],
    ["1 MB", 4],
    ["10 MB", 2],
  ] as const);
  const bigString = (n: number) => "x".repeat(n);
  const fragments: Array<() => string> =
    size === "small"
      ? [
          () => "18446744073709551616", // 2^64
          () => "18446744073709551615", // 2^64 - 1
          () => "340282366920938463463374607431768211456", // 2^128
          () => "-9223372036854775809",
          () => "9007199254740993", // 2^53 + 1: not a double
          () => "4294967296",
          () => "65536",
          () => "256",
          () => "1e308",
          () => "1e309",
          () => "-1e308",
          () => "1.7976931348623157e308",
          () => "5e-324",
          () => "0x10000000000000000",
          () => `0x${"f".repeat(rng.range(17, 2000))}`,
          () => digits(rng, rng.range(20, 100_000)),
          () => `-${digits(rng, rng.range(20, 1000))}`,
          () => `${digits(rng, 400)}.${digits(rng, 400)}`,
          () => bigString(rng.range(64, 100_000)),
          () => `"${bigString(rng.range(1025, 100_000))}"`,
          () => `[${Array.from({ length: rng.range(100, 5_000) }, () => "1").join(", ")}]`,
          () => `{${Array.from({ length: rng.range(100, 5_000) }, (_, i) => `k${i}: ${i}`).join(", ")}}`,
          () => `{${Array.from({ length: rng.range(100, 5_000) }, (_, i) => `${i}: 1`).join(", ")}}`,
          () => `[${Array.from({ length: rng.range(33, 500) }, (_, i) => `{name: nf${i}, object: x.o, program: p}`).join(", ")}]`,
        ]
      : size === "1 MB"
        ? [() => bigString(1_000_000), () => `"${bigString(1_000_000)}"`, () => digits(rng, 1_000_000), () => `[${"1, ".repeat(100_000)}1]`]
        : [() => bigString(10_000_000), () => `'${bigString(10_000_000)}'`];
  const make = rng.pick(fragments);
  return structural(rng, text, (_doc, site) => {
    const fragment = make();
    return {
      detail: `${describeSite(site)} = ${fragment.length > 60 ? `${fragment.slice(0, 40)}... (${fragment.length} characters)` : fragment}`,
      fragment,
      heavy: size !== "small",
    };
  });
}

// ---------------------------------------------------------------- deep nesting

function deepNesting(rng: Rng, text: string): Edit {
  const depth = rng.weighted([
    [rng.range(2, 50), 40],
    [rng.range(51, 500), 32],
    [rng.range(501, 3000), 20],
    [10_000, 8],
  ] as const);
  const style = rng.pick(["flow list", "flow map", "compact block list", "block map", "flow mixed"] as const);
  let fragment: string;
  switch (style) {
    case "flow list":
      fragment = "[".repeat(depth) + "]".repeat(depth);
      break;
    case "flow map":
      fragment = "{a: ".repeat(depth) + "1" + "}".repeat(depth);
      break;
    case "compact block list":
      // "- - - x": each dash opens a list inside the one before, on one line.
      fragment = `\n${"- ".repeat(depth)}x`;
      break;
    case "block map": {
      // Indentation grows with depth: kept to a few megabytes.
      const d = Math.min(depth, 1500);
      fragment = `\n${Array.from({ length: d }, (_, i) => `${" ".repeat(i)}a:`).join("\n")} 1`;
      break;
    }
    case "flow mixed":
      fragment =
        Array.from({ length: depth }, (_, i) => (i % 2 ? "{k: " : "[")).join("") +
        "0" +
        Array.from({ length: depth }, (_, i) => ((depth - 1 - i) % 2 ? "}" : "]")).join("");
      break;
  }
  return structural(rng, text, (_doc, site) => ({ detail: `${describeSite(site)} = ${style} nested ${depth} deep`, fragment, heavy: depth > 500 }));
}

// ---------------------------------------------------------------- odd unicode

const ODD_CHARACTERS: ReadonlyArray<readonly [string, string]> = [
  ["\u200f", "right-to-left mark"],
  ["\u200e", "left-to-right mark"],
  ["\u202e", "right-to-left override"],
  ["\u2066", "left-to-right isolate"],
  ["\u200d", "zero-width joiner"],
  ["\u200c", "zero-width non-joiner"],
  ["\u200b", "zero-width space"],
  ["\ufeff", "BOM"],
  ["\u00ad", "soft hyphen"],
  ["\u{1f4a5}", "emoji"],
  ["\u{1f468}\u200d\u{1f469}\u200d\u{1f467}", "emoji family (ZWJ sequence)"],
  ["e\u0301", "combining accent"],
  ["\u0000", "NUL"],
  ["\u001b[31m", "ANSI escape"],
  ["\u0007", "bell"],
  ["\u007f", "DEL"],
  ["\u0085", "next line (NEL)"],
  ["\u2028", "line separator"],
  ["\u2029", "paragraph separator"],
  ["\ud800", "lone high surrogate"],
  ["\udfff", "lone low surrogate"],
  ["\ufffe", "noncharacter U+FFFE"],
  ["\uffff", "noncharacter U+FFFF"],
  ["\ufffd", "replacement character"],
  ["\uff58\uff44\uff50", "fullwidth xdp"],
  ["\u0131", "dotless i"],
];

/** Latin letters and look-alikes from Cyrillic and Greek. */
const HOMOGLYPHS: Record<string, string[]> = {
  a: ["\u0430", "\u03b1"],
  c: ["\u0441"],
  e: ["\u0435"],
  i: ["\u0456", "\u03b9"],
  o: ["\u043e", "\u03bf"],
  p: ["\u0440", "\u03c1"],
  x: ["\u0445", "\u03c7"],
  y: ["\u0443"],
  s: ["\u0455"],
  j: ["\u0458"],
  d: ["\u0501"],
  n: ["\u0578"],
  v: ["\u03bd"],
  k: ["\u03ba"],
  m: ["\u043c"],
  g: ["\u0261"],
  l: ["\u04cf"],
  b: ["\u0184"],
  r: ["\u0433"],
  t: ["\u0442"],
};

/** YAML's double-quoted escapes for what cannot be written raw in a scalar. */
function doubleQuoted(text: string): string {
  let out = "";
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '"' || ch === "\\") out += `\\${ch}`;
    else if (code < 0x20 || code === 0x7f || code === 0x85 || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff))
      out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return `"${out}"`;
}

function oddUnicode(rng: Rng, text: string): Edit {
  const variant = rng.weighted([
    ["odd character in a value", 4],
    ["odd character in a key", 2],
    ["homoglyph in a field name", 3],
    ["overlong name", 3],
    ["raw odd bytes", 2],
  ] as const);
  switch (variant) {
    case "odd character in a value":
      return structural(
        rng,
        text,
        (_doc, site) => {
          const [ch, name] = rng.pick(ODD_CHARACTERS);
          const value = String((site.node as Scalar).value);
          const at = rng.int(value.length + 1);
          return { detail: `${name} in ${describeSite(site)}`, fragment: doubleQuoted(value.slice(0, at) + ch + value.slice(at)) };
        },
        (site) => isScalar(site.node),
      );
    case "odd character in a key":
      return structural(rng, text, (doc) => {
        const pair = rng.pick(allPairs(doc));
        const [ch, name] = rng.pick(ODD_CHARACTERS);
        const key = String((pair.key as Scalar).value);
        const at = rng.int(key.length + 1);
        const odd = new Scalar(key.slice(0, at) + ch + key.slice(at));
        odd.type = Scalar.QUOTE_DOUBLE;
        pair.key = odd;
        return { detail: `${name} in the field name "${key}"` };
      });
    case "homoglyph in a field name":
      return structural(rng, text, (doc) => {
        const pair = rng.pick(allPairs(doc));
        const key = String((pair.key as Scalar).value);
        const positions = [...key].flatMap((ch, i) => (HOMOGLYPHS[ch] ? [i] : []));
        if (positions.length === 0) return { detail: `no look-alike for "${key}"` };
        const i = rng.pick(positions);
        const chars = [...key];
        chars[i] = rng.pick(HOMOGLYPHS[chars[i]!]!);
        pair.key = new Scalar(chars.join(""));
        return { detail: `"${key}" written "${chars.join("")}" (a look-alike letter)` };
      });
    case "overlong name": {
      const target = rng.pick(["name", "object", "program", "version", "map"] as const);
      const length = rng.weighted([
        [rng.pick([16, 63, 64, 65, 255, 256]), 3],
        [rng.range(257, 5000), 2],
        [rng.range(5001, 200_000), 1],
      ] as const);
      return structural(
        rng,
        text,
        (_doc, site) => {
          const long = rng.pick(["a", "x_", "\u00e9", "\u{1f4a5}", "9"]).repeat(length).slice(0, Math.max(length, 1));
          if (target === "map") {
            const pair = site.pair!;
            pair.key = new Scalar(long);
            return { detail: `a field name of ${long.length} characters`, heavy: length > 5000 };
          }
          return { detail: `${describeSite(site)} of ${long.length} characters`, fragment: doubleQuoted(long), heavy: length > 5000 };
        },
        (site) => (target === "map" ? site.pair !== undefined && isScalar(site.pair.key) : site.path[site.path.length - 1] === target && isScalar(site.node)),
      );
    }
    case "raw odd bytes": {
      const raw = rng.pick([
        [Buffer.from([0xed, 0xa0, 0x80]), "a UTF-8-encoded surrogate"],
        [Buffer.from([0xc0, 0xaf]), "an overlong slash"],
        [Buffer.from([0xe0, 0x80, 0xaf]), "an overlong slash (3 bytes)"],
        [Buffer.from([0xff]), "byte 0xff"],
        [Buffer.from([0x80]), "a lone continuation byte"],
        [Buffer.from([0xf4, 0x90, 0x80, 0x80]), "a code point above U+10FFFF"],
        [Buffer.from([0x00]), "a NUL byte"],
        [Buffer.from([0xe2, 0x80]), "a cut character"],
      ] as const);
      const all = lines(text);
      const i = rng.pick(meaningfulLines(all));
      const line = utf8(all[i]!);
      const at = rng.int(line.length + 1);
      const before = utf8(
        all
          .slice(0, i)
          .map((l) => `${l}\n`)
          .join(""),
      );
      const after = utf8(
        all
          .slice(i + 1)
          .map((l) => `\n${l}`)
          .join(""),
      );
      return { detail: `${raw[1]} in line ${i + 1}`, bytes: Buffer.concat([before, line.subarray(0, at), raw[0], line.subarray(at), after]) };
    }
  }
}

// ---------------------------------------------------------------- object paths

function objectPath(rng: Rng, text: string, ctx: MutationContext): Edit {
  const { specials, build } = ctx;
  const paths: string[] = [
    "../../../../etc/passwd",
    "../../../../../../../../../../../../etc/shadow",
    "/etc/passwd",
    "/dev/zero",
    "/dev/null",
    "/dev/urandom",
    "/dev/stdin",
    "/proc/self/mem",
    "/proc/self/environ",
    "/proc/self/fd/0",
    "/proc/self/exe",
    "/sys/fs/bpf",
    "/",
    ".",
    "..",
    "",
    " ",
    "~/counter.o",
    "$HOME/counter.o",
    "$(reboot).o",
    "`id`.o",
    "file:///work/main/bpf/build/counter.o",
    "C:\\bpf\\counter.o",
    "\\\\server\\share\\counter.o",
    "%2e%2e/%2e%2e/etc/passwd",
    "-",
    "--help",
    "counter.o\0",
    "counter\n.o",
    `${build}/counter.o/`,
    `${build}/counter.d`,
    `${build}`,
    `${build}//counter.o`,
    `${build}/./counter.o`,
    `${build}/../build/counter.o`,
    `${build}/nope.o`,
    `${"a".repeat(256)}.o`,
    `${"a/".repeat(3000)}counter.o`,
    specials.dir,
    specials.loop,
    specials.fifo,
    `${specials.fifo}/`,
    specials.dangling,
    specials.empty,
    specials.truncated,
    specials.link,
  ];
  const path = rng.pick(paths);
  return structural(
    rng,
    text,
    (_doc, site) => ({ detail: `${describeSite(site)} = ${JSON.stringify(path)}`, fragment: doubleQuoted(path) }),
    (site) => site.path[site.path.length - 1] === "object",
  );
}

// ---------------------------------------------------------------- aliases

/** "Billion laughs": `levels` anchors, each a list of `width` aliases of the one before. */
function laughs(levels: number, width: number): string {
  let out = `lol0: &lol0 "lol"\n`;
  for (let i = 1; i < levels; i++)
    out += `lol${i}: &lol${i} [${Array<string>(width)
      .fill(`*lol${i - 1}`)
      .join(", ")}]\n`;
  return out;
}

function aliasBomb(rng: Rng, text: string): Edit {
  const variant = rng.pick([
    "billion laughs first",
    "billion laughs as a value",
    "wide laughs",
    "deep alias chain",
    "a chain entry aliased",
    "an undefined alias",
    "an alias before its anchor",
    "a self-referencing anchor",
    "a merge key",
    "an alias as a key",
    "an anchor redefined",
  ] as const);
  switch (variant) {
    case "billion laughs first":
      return { detail: variant, bytes: utf8(`${laughs(10, 10)}${text}`) };
    case "billion laughs as a value": {
      const edit = structural(rng, text, (_doc, site) => ({ detail: `${variant} at ${describeSite(site)}`, fragment: `*lol${rng.range(3, 8)}` }));
      return { detail: edit.detail, bytes: Buffer.concat([utf8(laughs(9, 9)), edit.bytes]) };
    }
    case "wide laughs":
      return { detail: variant, bytes: utf8(`${laughs(3, 1000)}${text}`) };
    case "deep alias chain": {
      let out = "c0: &c0 [x]\n";
      for (let i = 1; i < 40; i++) out += `c${i}: &c${i} [*c${i - 1}, *c${i - 1}]\n`;
      return { detail: variant, bytes: utf8(out + text) };
    }
    case "a chain entry aliased":
      return structural(
        rng,
        text,
        (doc, site) => {
          const chain = site.node as YAMLSeq;
          const item = rng.pick(chain.items) as YAMLMap;
          chain.items.push(doc.createAlias(item, "nf"));
          return { detail: `${describeSite(site)}: an entry repeated by an alias` };
        },
        (site) => site.path[site.path.length - 1] === "chain" && isSeq(site.node) && site.node.items.length > 0,
      );
    case "an undefined alias":
      return structural(rng, text, (_doc, site) => ({ detail: `*nowhere at ${describeSite(site)}`, fragment: "*nowhere" }));
    case "an alias before its anchor":
      return { detail: variant, bytes: utf8(`early: *later\n${text}\nlate: &later 1\n`) };
    case "a self-referencing anchor":
      return { detail: variant, bytes: utf8(`loop: &loop [*loop]\n${text}`) };
    case "a merge key":
      return { detail: variant, bytes: utf8(text.replace(/\n(\s*)name: /, (m, indent: string) => `\n${indent}<<: {version: "9", enabled: true}${m}`)) };
    case "an alias as a key":
      return { detail: variant, bytes: utf8(`k: &k [1, 2]\n${text}\n*k : 1\n`) };
    case "an anchor redefined":
      return { detail: variant, bytes: utf8(`a: &x 1\nb: &x [1]\nc: *x\n${text}`) };
  }
}

// ---------------------------------------------------------------- seeds

/**
 * A config for veth-b with absolute object paths and every hook and map
 * kind: the seed the kernel-side stage would run as it is.
 */
export function vethConfig(build: string): string {
  return `apiVersion: nfctl.io/v1alpha1
kind: NetworkFunctions
metadata:
  name: fuzz
spec:
  interfaces:
    - name: veth-b
      xdp:
        mode: generic
        chain:
          - name: blocklist
            object: ${build}/blocklist.o
            program: xdp_blocklist
            version: "1.0.0"
            proceedOn: [pass]
            maps:
              blocklist_v4:
                "198.18.0.3/32": 1
                "10.0.0.0/8": 1
              blocklist_v6:
                "2001:db8::/32": 1
          - name: portfilter
            object: ${build}/portfilter.o
            program: xdp_portfilter
            maps:
              ports:
                23: 1
                0x87: 1
          - name: ratelimit
            object: ${build}/ratelimit.o
            program: xdp_ratelimit
            maps:
              rl_config:
                9001: 50
          - name: counter
            object: ${build}/counter.o
            program: xdp_counter
            enabled: true
      tcIngress:
        chain:
          - name: portfilter
            object: ${build}/portfilter.o
            program: tc_portfilter
            proceedOn: [ok, unspec]
      tcEgress:
        chain:
          - name: counter
            object: ${build}/counter.o
            program: tc_counter
`;
}
