/**
 * Host selectors: which hosts a config document, or one interface entry of
 * it, applies to, in the manner of Kubernetes label selectors. Every term
 * given must match: one of the host name globs, every matchLabels entry,
 * every matchExpression. What does not select the host is left out of its
 * desired state, as if it were not written (document.ts).
 *
 * The schema checks the syntax; this checks what it cannot (values for
 * In/NotIn, none for Exists/DoesNotExist) and does the matching.
 *
 * @example
 *     const edge = { name: "edge-7.fra", labels: { role: "edge", zone: "eu-1" } };
 *     selectsHost({ hostnames: ["edge-*"], matchExpressions: [{ key: "zone", operator: "In", values: ["eu-1", "eu-2"] }] }, edge) // true
 *     selectsHost({ matchLabels: { role: "core" } }, edge) // false
 */
import type { Host } from "../host.js";
import type { ConfigError, PathSegment } from "./errors.js";
import type { HostSelector, LabelExpression, NetworkFunctionsConfig } from "./schema-types.js";
import type { SourceDocument } from "./yaml-source.js";

/**
 * Whether a host name glob (* any characters, ? one) matches `name`,
 * ignoring case as DNS does. A scan that backs up only to the last `*`,
 * rather than a RegExp made per glob: a config may list 100,000 globs
 * (compiling each cost 8 us), and a glob of many stars must not backtrack
 * without end.
 *
 * @example
 *     globMatches("edge-*.FRA", "edge-7.fra") // true
 *     globMatches("edge-?", "edge-17")        // false
 */
export function globMatches(glob: string, name: string): boolean {
  const pattern = glob.toLowerCase();
  const text = name.toLowerCase();
  let p = 0;
  let t = 0;
  /** The last star seen, and where in the text its match ends so far: a mismatch retries with one character more. */
  let star = -1;
  let starEnd = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === "?" || (pattern[p] !== "*" && pattern[p] === text[t]))) {
      p += 1;
      t += 1;
    } else if (p < pattern.length && pattern[p] === "*") {
      star = p;
      starEnd = t;
      p += 1;
    } else if (star >= 0) {
      starEnd += 1;
      p = star + 1;
      t = starEnd;
    } else {
      return false;
    }
  }
  while (pattern[p] === "*") p += 1;
  return p === pattern.length;
}

function expressionHolds(expression: LabelExpression, labels: Host["labels"]): boolean {
  const value = Object.hasOwn(labels, expression.key) ? labels[expression.key] : undefined;
  switch (expression.operator) {
    case "In":
      return value !== undefined && (expression.values ?? []).includes(value);
    case "NotIn":
      return value === undefined || !(expression.values ?? []).includes(value);
    case "Exists":
      return value !== undefined;
    case "DoesNotExist":
      return value === undefined;
  }
}

/** Whether `selector` selects `host`; no selector selects every host. */
/**
 * Whether a document has a host selector anywhere (a fleet config): then
 * which host it was loaded for matters, and an offline plan says so.
 *
 * @example
 *     usesHostSelectors({ spec: { hostSelector: { names: ["edge-*"] }, interfaces: [] } }) // true
 */
export function usesHostSelectors(config: NetworkFunctionsConfig): boolean {
  return config.spec.hostSelector !== undefined || config.spec.interfaces.some((iface) => iface.hostSelector !== undefined);
}

export function selectsHost(selector: HostSelector | undefined, host: Host): boolean {
  if (!selector) return true;
  if (selector.hostnames && !selector.hostnames.some((glob) => globMatches(glob, host.name))) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(host.labels, key) || host.labels[key] !== value) return false;
  }
  return (selector.matchExpressions ?? []).every((expression) => expressionHolds(expression, host.labels));
}

/**
 * What the schema cannot say about the selector at `path`: In and NotIn
 * need values, Exists and DoesNotExist take none. Checked whichever host
 * the config is loaded for, so that a mistake shows on every host.
 */
export function selectorProblems(doc: SourceDocument, path: PathSegment[], selector: HostSelector | undefined): ConfigError[] {
  return (selector?.matchExpressions ?? []).flatMap((expression, i) => {
    const at = [...path, "matchExpressions", i];
    const hasValues = expression.values !== undefined;
    if ((expression.operator === "In" || expression.operator === "NotIn") && (expression.values ?? []).length === 0) {
      return [doc.error(hasValues ? [...at, "values"] : at, "host-selector", `operator ${expression.operator} needs values: the label values to compare with`)];
    }
    if ((expression.operator === "Exists" || expression.operator === "DoesNotExist") && hasValues) {
      return [doc.error([...at, "values"], "host-selector", `operator ${expression.operator} takes no values; remove values`, "key")];
    }
    return [];
  });
}
