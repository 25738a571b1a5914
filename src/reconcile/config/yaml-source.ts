/**
 * YAML text to plain data, keeping the way back from a field path to the
 * line and column it was written at, so that every later error can point
 * at the offending node.
 *
 * A file may hold several documents separated by `---`; each is a config
 * of its own, as with kubectl. Documents holding nothing (a trailing `---`,
 * only comments) are skipped; a file with no config at all is an error.
 */
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, type Document, type Node, type Pair } from "yaml";
import type { SourceLocation } from "../desired.js";
import { formatPath, type ConfigError, type PathSegment } from "./errors.js";

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
  error(path: readonly PathSegment[], message: string, part?: "key" | "value"): ConfigError;
}

export type ParsedYaml = { ok: true; documents: SourceDocument[] } | { ok: false; errors: ConfigError[] };

/**
 * Parses a config file. Syntax errors of every document come back at once.
 *
 * @example
 *     const parsed = parseYaml("edge.yaml", "spec:\n  interfaces: []\n");
 *     if (parsed.ok) parsed.documents[0].locate(["spec", "interfaces"]); // { file: "edge.yaml", line: 2, column: 15 }
 */
export function parseYaml(file: string, text: string): ParsedYaml {
  const lines = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const errors = documents.flatMap((doc) =>
    doc.errors.map((e) => ({ file, ...position(lines, e.pos[0]), path: "", message: `invalid YAML: ${e.message}` })),
  );
  if (errors.length > 0) return { ok: false, errors };
  const configs = documents.filter((doc) => !(doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)));
  if (configs.length === 0) {
    return { ok: false, errors: [{ file, line: 0, column: 0, path: "", message: "the file is empty; expected a NetworkFunctions config" }] };
  }
  try {
    return { ok: true, documents: configs.map((doc) => sourceDocument(file, doc, lines)) };
  } catch (err) {
    // toJS() refuses alias bombs ("Excessive alias count ...") and the like.
    return { ok: false, errors: [{ file, line: 0, column: 0, path: "", message: `invalid YAML: ${(err as Error).message}` }] };
  }
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

  /** The nodes along `path`, as far as they exist. */
  const walk = (path: readonly PathSegment[]): Step[] => {
    const steps: Step[] = [{ node: doc.contents as Node }];
    for (const segment of path) {
      const parent = resolve(steps[steps.length - 1]!.node);
      let next: Step | undefined;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => dataKey(p) === String(segment));
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
    error(path, message, part) {
      const { line, column } = locate(path, part);
      return { file, line, column, path: formatPath(path), message };
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
