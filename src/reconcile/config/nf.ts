/**
 * One NF of a chain, checked against its object and resolved into a
 * DesiredNf: the object opened and hashed, the program found and of the
 * hook's type, the proceed-on mask computed, the map contents encoded.
 */
import { programTypeOf, type Hook, type ObjectSummary } from "../../state/index.js";
import { proceedOnAllowed, programProblem } from "../chain-rules.js";
import type { DesiredMap, DesiredNf } from "../desired.js";
import { formatPath, type ConfigError, type PathSegment } from "./errors.js";
import { encodeMapEntries, mapsDigest } from "./map-values.js";
import type { Inspector } from "./objects.js";
import { locateObject } from "./builtin-objects.js";
import { codeSourceOf, describeCode, type CodeLookup } from "./code-sources.js";
import type { TcNf, XdpNf } from "./schema-types.js";
import { defaultProceedOn, proceedMask } from "./verdicts.js";
import type { SourceDocument } from "./yaml-source.js";

export interface NfContext {
  doc: SourceDocument;
  /** Directory relative object paths start from. */
  baseDir: string;
  inspect: Inspector;
  /** The code of NFs that name an artifact or an image. */
  code: CodeLookup;
  hook: Hook;
  /** The hook as the config calls it: xdp, tcIngress, tcEgress. */
  hookField: string;
}

export interface ResolvedNf {
  /** Undefined when the object could not be inspected. */
  nf?: DesiredNf;
  summary?: ObjectSummary;
  errors: ConfigError[];
  /** Its artifact or image was not fetched yet: nothing was checked (the loader fetches, then resolves again). */
  pending?: true;
}

/**
 * Resolves the NF at `path` (e.g. spec.interfaces[0].xdp.chain[1]),
 * reporting every problem with it.
 *
 * @example
 *     resolveNf(ctx, ["spec", "interfaces", 0, "xdp", "chain", 0], { name: "counter", object: "../bpf/build/counter.o", program: "xdp_counter" })
 *     // { nf: { name: "counter", object: "/repo/bpf/build/counter.o", proceedMask: 4, enabled: true, ... }, summary, errors: [] }
 */
export function resolveNf(ctx: NfContext, path: PathSegment[], config: XdpNf | TcNf): ResolvedNf {
  const named = codeSourceOf(config, ctx.baseDir);
  const code = named && ctx.code(named.source);
  if (named && code === undefined) return { errors: [], pending: true };
  if (code && !code.ok) return { errors: [ctx.doc.error([...path, named.field], code.code, code.message)] };
  const origin = code?.origin;
  let inspected;
  if (code) {
    inspected = ctx.inspect(code.path, { anywhere: true });
  } else {
    const located = locateObject(config.object!, ctx.baseDir);
    inspected = located.ok ? ctx.inspect(located.path) : located;
  }
  if (!inspected.ok) return { errors: [ctx.doc.error([...path, named?.field ?? "object"], inspected.code, inspected.message)] };
  const summary = inspected.summary;
  // How messages name the code: the file opened (which an object fallback
  // may have taken from elsewhere), or the image or artifact it came from.
  const object = describeCode(origin, summary.path);
  const errors: ConfigError[] = [];

  const program = programProblem(summary.programs, config.program, ctx.hook);
  if (program?.problem === "missing") {
    const names = program.available.join(", ") || "none";
    errors.push(ctx.doc.error([...path, "program"], "program-not-found", `${object} has no program "${config.program}" (it has: ${names})`));
  } else if (program?.problem === "wrong-type") {
    errors.push(
      ctx.doc.error(
        [...path, "program"],
        "program-wrong-type",
        `program ${config.program} in ${object} is ${programKind(program.type)}, but the ${ctx.hookField} hook runs ${ctx.hook === "xdp" ? 'XDP programs (SEC("xdp"))' : 'TC programs (SEC("tc"))'}`,
      ),
    );
  }

  if (!proceedOnAllowed(summary.hasProceedMask, config.proceedOn !== undefined)) {
    errors.push(
      ctx.doc.error(
        [...path, "proceedOn"],
        "proceed-on-unsupported",
        `${object} has no nf_proceed_mask constant, so nfctl cannot choose the verdicts it proceeds on; remove proceedOn`,
      ),
    );
  }

  const maps: DesiredMap[] = [];
  for (const name of Object.keys(config.maps ?? {})) {
    const mapPath = [...path, "maps", name];
    const spec = summary.maps.find((m) => m.name === name && !m.internal);
    if (!spec) {
      const names =
        summary.maps
          .filter((m) => !m.internal)
          .map((m) => m.name)
          .join(", ") || "none";
      errors.push(ctx.doc.error(mapPath, "map-not-found", `${object} has no map "${name}" (it has: ${names})`, "key"));
      continue;
    }
    const written = ctx.doc.entries(mapPath);
    const encoded = encodeMapEntries(
      spec,
      written.map((e) => ({ key: e.key, value: e.value as number | bigint })),
    );
    if (!encoded.ok) {
      for (const problem of encoded.problems) {
        if (problem.part === "map") {
          errors.push(ctx.doc.error(mapPath, "map-unwritable", problem.message, "key"));
        } else {
          const entry = written[problem.entry!]!;
          const at = problem.part === "key" ? entry.keyAt : entry.valueAt;
          errors.push({ ...at, path: formatPath([...mapPath, entry.key]), code: "map-value", message: problem.message });
        }
      }
      continue;
    }
    maps.push({ name, spec, entries: encoded.entries, source: ctx.doc.locate(mapPath, "key") });
  }

  const nf: DesiredNf = {
    name: config.name,
    object: summary.path,
    digest: summary.digest,
    ...(origin && { origin }),
    program: config.program,
    chainAware: summary.chainAware,
    ...(config.version !== undefined && { version: config.version }),
    ...(config.proceedOn !== undefined && { proceedOn: [...config.proceedOn] }),
    ...(summary.hasProceedMask && { proceedMask: proceedMask(ctx.hook, config.proceedOn ?? defaultProceedOn(ctx.hook)) }),
    maps,
    mapsDigest: mapsDigest(maps),
    enabled: config.enabled ?? true,
    source: ctx.doc.locate(path),
  };
  return { nf, summary, errors };
}

function programKind(type: number): string {
  if (type === programTypeOf("xdp")) return "an XDP program";
  if (type === programTypeOf("tc-ingress")) return "a TC (SCHED_CLS) program";
  return `a program of type ${type}`;
}
