/**
 * Errors in a config that a user made, as values: where (file, line,
 * column, field path) and what, in a sentence. They are printed, never
 * thrown, so a typo never ends in a stack trace.
 */

/** One step into the config: a field name or a list index. */
export type PathSegment = string | number;

export interface ConfigError {
  /** File path as given on the command line (or "<stdin>"). */
  file: string;
  /** 1-based; 0 when the error concerns the whole file. */
  line: number;
  column: number;
  /** Field path in the file, e.g. "spec.interfaces[0].xdp.chain[1].program"; "" for the whole document. */
  path: string;
  message: string;
}

/**
 * The one-line form of an error, as compilers print them.
 *
 * @example
 *     formatConfigError({ file: "edge.yaml", line: 9, column: 13, path: "spec.interfaces[0].xdp.chain[0]", message: 'unknown field "progam" (did you mean "program"?)' })
 *     // 'edge.yaml:9:13: spec.interfaces[0].xdp.chain[0]: unknown field "progam" (did you mean "program"?)'
 */
export function formatConfigError(error: ConfigError): string {
  const where = error.line > 0 ? `${error.file}:${error.line}:${error.column}` : error.file;
  return error.path ? `${where}: ${error.path}: ${error.message}` : `${where}: ${error.message}`;
}

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
