/**
 * YAML text to plain data, keeping the way back from a field path to the
 * line and column it was written at, so that every later error can point
 * at the offending node.
 *
 * A file may hold several documents separated by `---`; each is a config
 * of its own, as with kubectl. Documents holding nothing (a trailing `---`,
 * only comments) are skipped; a file with no config at all is an error.
 */
import { LineCounter, isAlias, isCollection, isMap, isNode, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair, type YAMLMap } from "yaml";
import type { SourceLocation } from "../desired.js";
import { formatPath, type ConfigError, type ConfigErrorCode, type PathSegment } from "./errors.js";

/** One mapping entry as written, for map contents whose keys must keep their spelling. */
export interface WrittenEntry {
  /** The key as written: "0x35" stays "0x35" where plain data would have 53. */
  key: string;
  /** Numbers are exact: integers beyond 2^53 come as bigint. */
  value: unknown;
  keyAt: SourceLocation;
  valueAt: SourceLocation;
}

export interface SourceDocument {
  file: string;
  /** The document as plain data: mappings become objects, sequences arrays. */
  value: unknown;
  /**
   * Where the node at `path` was written; with part "key", where its key
   * was. A path that does not exist falls back to its nearest ancestor.
   */
  locate(path: readonly PathSegment[], part?: "key" | "value"): SourceLocation;
  /** The source text of the scalar at `path` (e.g. "1.10" where the data says 1.1). */
  text(path: readonly PathSegment[]): string | undefined;
  /** The entries of the mapping at `path`, as written. */
  entries(path: readonly PathSegment[]): WrittenEntry[];
  /** An error at `path`, positioned at its node (or its key). */
  error(path: readonly PathSegment[], code: ConfigErrorCode, message: string, part?: "key" | "value"): ConfigError;
}

export type ParsedYaml = { ok: true; documents: SourceDocument[] } | { ok: false; errors: ConfigError[] };

/**
 * Parses a config file. The first syntax error of each document comes back
 * (see below), or else every duplicate key and collection key.
 *
 * @example
 *     const parsed = parseYaml("edge.yaml", "spec:\n  interfaces: []\n");
 *     if (parsed.ok) parsed.documents[0].locate(["spec", "interfaces"]); // { file: "edge.yaml", line: 2, column: 15 }
 */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  // logLevel "error": the yaml package must not print warnings of its own
  // (process.emitWarning) on nfctl's stderr.
  // uniqueKeys: false: the yaml package compares each key with every key
  // before it (40,000 map entries took 29 s); keyProblems() does it in one pass.
  // resolveKnownTags: false: !!set, !!omap, !!binary and !!timestamp would
  // become a Set, a Map, bytes or a Date, which JSON Schema takes for a
  // mapping with no entries (a map written empty); as plain YAML they are refused.
  let documents: Document.Parsed[];
  try {
    documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, logLevel: "error", uniqueKeys: false, resolveKnownTags: false });
  } catch (err) {
    // The parser (unlike the composer after it) lets a stack overflow escape.
    return {
      ok: false,
      errors: [
        { file, line: 0, column: 0, path: "", code: "yaml-syntax", message: `invalid YAML: ${yamlProblem(err instanceof Error ? err.message : String(err))}` },
      ],
    };
  }
  const errors = documents.flatMap((doc) => {
    // After a syntax error the parser recovers by guessing, and what it
    // reports next is mostly the echo of that guess: a tab before "- name"
    // came with five more errors about implicit keys, one unclosed "{" with
    // eight on five later lines, and a stack overflow is reported by each
    // enclosing collection. So a document with syntax errors shows the
    // first the parser met (as a compiler's first error, the one to fix
    // first; an earlier position may be an echo), alone: its key checks
    // would only echo it too. `---` starts the parser afresh, so each
    // document has its own.
    const first = doc.errors[0];
    if (first)
      return [{ file, ...position(lines, first.pos[0]), path: "", code: "yaml-syntax" as const, message: `invalid YAML: ${yamlProblem(first.message)}` }];
    return keyProblems(file, doc, lines);
  });
  if (errors.length > 0) return { ok: false, errors };
  const configs = documents.filter((doc) => !(doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)));
  if (configs.length === 0) {
    return {
      ok: false,
      errors: [{ file, line: 0, column: 0, path: "", code: "file-empty", message: "the file is empty; expected a NetworkFunctions config" }],
    };
  }
  try {
    return { ok: true, documents: configs.map((doc) => sourceDocument(file, doc, lines)) };
  } catch (err) {
    // toJS() refuses alias bombs ("Excessive alias count ...") and the like.
    return {
      ok: false,
      errors: [
        { file, line: 0, column: 0, path: "", code: "yaml-syntax", message: `invalid YAML: ${yamlProblem(err instanceof Error ? err.message : String(err))}` },
      ],
    };
  }
}

/** The yaml package's message, except where it is the JS engine's. */
function yamlProblem(message: string): string {
  if (/call stack/i.test(message)) return "lists and mappings are nested too deeply";
  return message;
}

/**
 * Mapping keys no config can have: a key written twice in one mapping
 * ("Map keys must be unique", as the yaml package says it), and a key that
 * is itself a list or a mapping (`? [a, b] : 1`), or an alias of one. Plain
 * data would turn such a key into its YAML text: slow and huge for a deep
 * key, and unreadable in a message.
 *
 * One pass in document order, without recursion (depth costs nothing),
 * noting anchors as they come, so that an alias finds the anchor before it
 * as YAML says. Keys are equal as the yaml package has them: the same
 * node, or scalars with the same value.
 */
function keyProblems(file: string, doc: Document.Parsed, lines: LineCounter): ConfigError[] {
  interface Visit {
    node: unknown;
    parent?: Visit;
    /** The list index, or the pair, that led here from `parent`. */
    step?: number | Pair;
    /** Set when `node` is the key of `step`, a pair of the mapping at `parent`. */
    key?: true;
  }
  const pathOf = (visit: Visit | undefined): PathSegment[] => {
    const path: PathSegment[] = [];
    for (let v = visit; v?.parent; v = v.parent) path.unshift(typeof v.step === "number" ? v.step : dataKey(v.step!));
    return path;
  };
  const at = (node: unknown) => position(lines, (node as Node | null)?.range?.[0] ?? 0);
  const anchors = new Map<string, unknown>();
  /** Pairs with a collection key: their values are not walked, nor is the key made text. */
  const badPairs = new Set<unknown>();
  /** Per mapping, the scalar key values met so far. */
  const keysSeen = new Map<unknown, Set<unknown>>();
  const errors: ConfigError[] = [];
  const pending: Visit[] = [{ node: doc.contents }];
  while (pending.length > 0) {
    const visit = pending.pop()!;
    const { node } = visit;
    if (isNode(node) && !isAlias(node) && node.anchor) anchors.set(node.anchor, node);
    if (visit.key) {
      if (isCollection(isAlias(node) ? anchors.get(node.source) : node)) {
        badPairs.add(visit.step);
        errors.push({
          file,
          ...at(node),
          path: formatPath(pathOf(visit.parent)),
          code: "yaml-collection-key",
          message: "a key must be a name or a number, not a list or a mapping",
        });
      } else if (isScalar(node) && !Number.isNaN(node.value)) {
        const seen = keysSeen.get(visit.parent) ?? new Set<unknown>();
        keysSeen.set(visit.parent, seen);
        if (seen.has(node.value)) errors.push({ file, ...at(node), path: "", code: "yaml-duplicate-key", message: "invalid YAML: Map keys must be unique" });
        seen.add(node.value);
      }
      continue;
    }
    if (visit.step !== undefined && badPairs.has(visit.step)) continue;
    if (isMap(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) {
        const pair = node.items[i]!;
        pending.push({ node: pair.value, parent: visit, step: pair });
        pending.push({ node: pair.key, parent: visit, step: pair, key: true });
      }
    } else if (isSeq(node)) {
      for (let i = node.items.length - 1; i >= 0; i--) pending.push({ node: node.items[i], parent: visit, step: i });
    }
  }
  return errors;
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

interface Step {
  node: Node;
  /** The key of the mapping pair that led here, if any. */
  key?: Node;
}

function sourceDocument(file: string, doc: Document.Parsed, lines: LineCounter): SourceDocument {
  const at = (offset: number): SourceLocation => ({ file, ...position(lines, offset) });
  const resolve = (node: Node): Node => (isAlias(node) ? ((node.resolve(doc) as Node | undefined) ?? node) : node);
  /** Each mapping's pairs by key, made on first use: an error per key of a huge mapping must not cost a scan each. */
  const indexes = new WeakMap<object, Map<string, Pair>>();
  const pairOf = (map: YAMLMap, key: string): Pair | undefined => {
    let index = indexes.get(map);
    if (!index) {
      index = new Map();
      for (const pair of map.items) if (!index.has(dataKey(pair))) index.set(dataKey(pair), pair);
      indexes.set(map, index);
    }
    return index.get(key);
  };

  /** The nodes along `path`, as far as they exist. */
  const walk = (path: readonly PathSegment[]): Step[] => {
    const steps: Step[] = [{ node: doc.contents as Node }];
    for (const segment of path) {
      const parent = resolve(steps[steps.length - 1]!.node);
      let next: Step | undefined;
      if (isMap(parent)) {
        const pair = pairOf(parent, String(segment));
        if (pair) next = { node: written(pair.value as Node | null) ?? (pair.key as Node), key: pair.key as Node };
      } else if (isSeq(parent) && typeof segment === "number") {
        const item = parent.items[segment] as Node | undefined;
        if (item) next = { node: item };
      }
      if (!next) break;
      steps.push(next);
    }
    return steps;
  };

  const locate = (path: readonly PathSegment[], part: "key" | "value" = "value"): SourceLocation => {
    const steps = walk(path);
    const last = steps[steps.length - 1]!;
    const node = part === "key" && steps.length === path.length + 1 && last.key ? last.key : last.node;
    return at(node.range?.[0] ?? 0);
  };

  return {
    file,
    value: doc.toJS(),
    locate,
    text(path) {
      const steps = walk(path);
      const node = steps.length === path.length + 1 ? resolve(steps[steps.length - 1]!.node) : undefined;
      return isScalar(node) ? node.source : undefined;
    },
    entries(path) {
      const steps = walk(path);
      const node = steps.length === path.length + 1 ? resolve(steps[steps.length - 1]!.node) : undefined;
      if (!isMap(node)) return [];
      return node.items.map((pair) => {
        const key = pair.key as Node;
        const value = pair.value as Node | null;
        return {
          key: writtenKey(pair),
          value: value ? exactValue(resolve(value)) : null,
          keyAt: at(key.range?.[0] ?? 0),
          valueAt: at((value ?? key).range?.[0] ?? 0),
        };
      });
    },
    error(path, code, message, part) {
      const { line, column } = locate(path, part);
      return { file, line, column, path: formatPath(path), code, message };
    },
  };
}

/** The node, unless nothing was written there (`xdp:` alone): then errors point at the key. */
function written(node: Node | null): Node | undefined {
  if (!node || (node.range && node.range[0] === node.range[1])) return undefined;
  return node;
}

/** The key as plain data has it: what toJS() turns a mapping key into. */
function dataKey(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

/** The key as written: numbers keep their notation (0x35, not 53). */
function writtenKey(pair: Pair): string {
  return isScalar(pair.key) && typeof pair.key.value === "number" && pair.key.source !== undefined ? pair.key.source : dataKey(pair);
}

/** A scalar's value, with integers too large for a double taken exactly from the source. */
function exactValue(node: Node): unknown {
  if (!isScalar(node)) return node.toJSON();
  const value = node.value;
  if (typeof value === "number" && Number.isInteger(value) && !Number.isSafeInteger(value) && node.source !== undefined) {
    try {
      return BigInt(node.source);
    } catch {
      return value; // 1e20 and the like: not an integer literal
    }
  }
  return value;
}
