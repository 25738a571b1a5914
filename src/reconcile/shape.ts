/**
 * Checks of the shape of JSON that nfctl reads back from files (a saved
 * plan, a host's status): small functions that each return the first
 * problem at a field path, or undefined. Fields a check does not name are
 * allowed, so that a later minor version of a format, which adds fields,
 * still reads.
 *
 * @example
 *     object({ id: whole, name: text })({ id: -1, name: "x" }, "program") // "program.id must be a whole number"
 */
import { posix } from "node:path";
import { HOOKS, type DriftKind } from "../state/index.js";
import type { PatternRule } from "./config/schema-rules.js";

/** A check of one value at a field path: the problem, or undefined. */
export type Shape = (value: unknown, at: string) => string | undefined;

export const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

export const text: Shape = (v, at) => (typeof v === "string" ? undefined : `${at} must be a string`);
export const flag: Shape = (v, at) => (typeof v === "boolean" ? undefined : `${at} must be true or false`);
export const whole: Shape = (v, at) => (typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? undefined : `${at} must be a whole number`);
export const hex: Shape = (v, at) => (typeof v === "string" && /^(?:[0-9a-f]{2})*$/.test(v) ? undefined : `${at} must be bytes in lowercase hex`);
export const sha256: Shape = (v, at) => (typeof v === "string" && /^[0-9a-f]{64}$/.test(v) ? undefined : `${at} must be a sha256 in hex`);

/** A whole number from `min` to `max` (a kernel ID is a u32, an ifindex a positive int). */
export function wholeIn(min: number, max: number): Shape {
  return (v, at) =>
    typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max ? undefined : `${at} must be a whole number from ${min} to ${max}`;
}

/** 1 to `maxBytes` bytes in lowercase hex. */
export function hexBytes(maxBytes: number): Shape {
  return (v, at) =>
    typeof v === "string" && v.length > 0 && v.length <= 2 * maxBytes && /^(?:[0-9a-f]{2})*$/.test(v)
      ? undefined
      : `${at} must be 1 to ${maxBytes} bytes in lowercase hex`;
}

/** A string that matches a rule of the config schema, which words the problem. */
export function matching(rule: PatternRule): Shape {
  return (v, at) => (typeof v === "string" && rule.pattern.test(v) ? undefined : `${at} ${rule.rule}`);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/u;

/** A string of at most `max` characters, none of them a control character (it is printed, and recorded). */
export function line(max: number): Shape {
  return (v, at) =>
    typeof v === "string" && v.length <= max && !CONTROL.test(v) ? undefined : `${at} must be at most ${max} characters without control characters`;
}

/** An absolute path as path.normalize leaves it: no "..", ".", "//" or trailing "/", and no NUL. */
export const absolutePath: Shape = (v, at) =>
  typeof v === "string" && posix.isAbsolute(v) && posix.normalize(v) === v && !v.endsWith("/") && !v.includes("\0") && v.length <= 4096
    ? undefined
    : `${at} must be an absolute, normalised path (no "." or ".." component, no NUL, at most 4096 characters)`;

export function oneOf(values: readonly unknown[]): Shape {
  return (v, at) => (values.includes(v) ? undefined : `${at} must be one of: ${values.map((x) => JSON.stringify(x)).join(", ")}`);
}

/** A list of items of one shape; of at most `max` items when given. */
export function list(item: Shape, max?: number): Shape {
  return (v, at) => {
    if (!Array.isArray(v)) return `${at} must be a list`;
    if (max !== undefined && v.length > max) return `${at} must hold at most ${max} items`;
    for (let i = 0; i < v.length; i++) {
      const problem = item(v[i], `${at}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** An object with these required and optional fields (others are allowed). */
export function object(required: Record<string, Shape>, optional: Record<string, Shape> = {}): Shape {
  return (v, at) => {
    if (!isObject(v)) return `${at} must be an object`;
    for (const [field, shape] of Object.entries(required)) {
      if (v[field] === undefined) return `${at}.${field} is missing`;
      const problem = shape(v[field], `${at}.${field}`);
      if (problem) return problem;
    }
    for (const [field, shape] of Object.entries(optional)) {
      const problem = v[field] === undefined ? undefined : shape(v[field], `${at}.${field}`);
      if (problem) return problem;
    }
    return undefined;
  };
}

/** A tagged union: the field `tag` names the variant, whose shape must hold too. */
export function variant(tag: string, shapes: Record<string, Shape>): Shape {
  return (v, at) => object({ [tag]: oneOf(Object.keys(shapes)) })(v, at) ?? shapes[(v as Record<string, string>)[tag]!]!(v, at);
}

export const hook = oneOf(HOOKS);
export const foreignProgram = object({ id: whole, name: text });
export const mapEntries = list(object({ key: hex, value: hex }));

/** Where an NF's code came from (state/code-source.ts): an artifact's URL and sha256, or an image's reference and digest. */
export const codeOrigin = variant("kind", {
  artifact: object({ url: line(2048), sha256 }, { object: line(1024) }),
  image: object(
    {
      ref: line(1024),
      digest: (v, at) => (typeof v === "string" && /^sha256:[0-9a-f]{64}$/.test(v) ? undefined : `${at} must be sha256: and 64 hex digits`),
      format: line(64),
    },
    { verifiedBy: line(4096) },
  ),
});

/** Drift, as the views say it: each kind with the fields its words need. */
export const drift = variant("kind", {
  "interface-missing": object({ ifname: text }),
  "link-missing": object({ ifname: text, hook: text }),
  "link-defunct": object({ linkId: whole, ifname: text }),
  "unknown-program-attached": object({ attachment: oneOf(["link", "tc-legacy"]), progId: whole, progName: text }),
  "program-missing": object({ nf: text, position: whole }),
  wiring: object({ nf: text }, { holds: whole, expected: whole, expectedNf: text }),
  "record-missing": object({ generation: whole }),
  "record-mismatch": object({ generation: whole, pinned: list(text), recorded: list(text) }),
  "interface-recreated": object({ generation: whole, recordedIfindex: whole, ifindex: whole }),
  "foreign-program": object({ program: foreignProgram, ifname: text, hook: text }),
} satisfies Record<DriftKind, Shape>);
