/**
 * One schema-valid config document resolved into the hooks it configures
 * on one host, with the checks JSON Schema cannot express: each interface
 * listed once, NF names unique within a chain, and chain-unaware objects
 * only at the end of a chain. Each NF is checked against its object by
 * nf.ts. A document or interface entry whose host selector does not select
 * the host is left out, as if it were not written; its selectors are still
 * checked.
 */
import type { Hook } from "../../state/index.js";
import type { DesiredHook, DesiredNf } from "../desired.js";
import { duplicateNames, unawareNotLast } from "../chain-rules.js";
import { formatPath, type ConfigError, type PathSegment } from "./errors.js";
import { resolveNf, type NfContext, type ResolvedNf } from "./nf.js";
import { describeCode } from "./code-sources.js";
import type { Host } from "../host.js";
import { selectorProblems, selectsHost } from "./host-selector.js";
import type { HostSelector, NetworkFunctionsConfig, TcNf, XdpNf } from "./schema-types.js";
import type { SourceDocument } from "./yaml-source.js";

/** The config's hook fields and the hooks they stand for, in the order hooks are listed. */
const HOOK_FIELDS = [
  ["xdp", "xdp"],
  ["tcIngress", "tc-ingress"],
  ["tcEgress", "tc-egress"],
] as const satisfies ReadonlyArray<readonly [string, Hook]>;

/** The config field a hook is written as, for messages. */
export function hookField(hook: Hook): string {
  return HOOK_FIELDS.find(([, h]) => h === hook)![0];
}

/** A configured hook and the field path it was written at (spec.interfaces[0].xdp). */
export interface PlacedHook {
  hook: DesiredHook;
  path: PathSegment[];
}

export interface ResolvedDocument {
  hooks: PlacedHook[];
  errors: ConfigError[];
}

/** How a document's NFs get at their code: objects inspected, artifacts and images looked up. */
export type NfCode = Pick<NfContext, "inspect" | "code">;

/**
 * Resolves a document that passed the schema, for `host`. Relative object
 * paths start at `baseDir`.
 *
 * @example
 *     resolveDocument(doc, config, "/repo/examples", { inspect: objectInspector(), code }, { name: "edge-1", labels: {} })
 *     // { hooks: [{ hook: { ifname: "eth1", hook: "xdp", chain: [...], source }, path: ["spec", "interfaces", 0, "xdp"] }], errors: [] }
 */
export function resolveDocument(doc: SourceDocument, config: NetworkFunctionsConfig, baseDir: string, code: NfCode, host: Host): ResolvedDocument {
  const hooks: PlacedHook[] = [];
  const errors: ConfigError[] = selectorProblems(doc, ["spec", "hostSelector"], config.spec.hostSelector);
  config.spec.interfaces.forEach((iface, i) => {
    for (const error of selectorProblems(doc, ["spec", "interfaces", i, "hostSelector"], iface.hostSelector)) errors.push(error);
  });
  if (!selectsHost(config.spec.hostSelector, host)) return { hooks, errors };
  const firstIndex = new Map<string, number>();
  config.spec.interfaces.forEach((iface, i) => {
    if (!selectsHost(iface.hostSelector, host)) return;
    const ifacePath = ["spec", "interfaces", i];
    const earlier = firstIndex.get(iface.name);
    if (earlier !== undefined) {
      const first = doc.locate(["spec", "interfaces", earlier]);
      errors.push(
        doc.error(
          [...ifacePath, "name"],
          "interface-duplicate",
          `interface "${iface.name}" is already listed at line ${first.line} (spec.interfaces[${earlier}]); list each interface once, with all its hooks`,
        ),
      );
    } else {
      firstIndex.set(iface.name, i);
    }
    for (const [field, hook] of HOOK_FIELDS) {
      const settings = iface[field];
      if (!settings) continue;
      const chainPath = [...ifacePath, field, "chain"];
      const resolved = resolveChain({ doc, baseDir, ...code, hook, hookField: field }, chainPath, settings.chain);
      for (const error of resolved.errors) errors.push(error);
      // A repeated interface is reported above; its hooks would only repeat that.
      if (earlier !== undefined) continue;
      hooks.push({
        hook: {
          ifname: iface.name,
          hook,
          ...("mode" in settings && settings.mode !== undefined && { mode: settings.mode }),
          chain: resolved.chain,
          source: doc.locate([...ifacePath, field], "key"),
        },
        path: [...ifacePath, field],
      });
    }
  });
  return { hooks, errors };
}

/**
 * The checks that can still run on a document that failed the schema, so
 * that one typo does not hide the rest of the file's problems: each hook
 * whose own subtree passed the schema is resolved as in resolveDocument
 * (chain rules included), and in a hook that did not, each NF whose own
 * entry passed is checked against its object. Nothing is resolved under a
 * host selector that failed (whether it selects the host is unknown), and
 * no hook is placed (the document is refused anyway), so a hook conflict
 * with another file shows once this one passes. `failed` holds the data
 * paths of the schema's errors (ValidatedConfig); a part is sound when no
 * error was found in it, and its type is checked here besides, since an
 * error about a missing field is found at the parent.
 *
 * @example
 *     // chain[0] has "progam:" (a schema error), chain[1] names a missing object:
 *     resolveSoundParts(doc, [["spec", "interfaces", 0, "xdp", "chain", 0]], "/repo", { inspect: objectInspector(), code }, host)
 *     // [{ path: "spec.interfaces[0].xdp.chain[1].object", code: "object-not-found", ... }]
 */
export function resolveSoundParts(doc: SourceDocument, failed: readonly PathSegment[][], baseDir: string, code: NfCode, host: Host): ConfigError[] {
  // Every failed path's ancestors, as deep as the deepest part asked about
  // (spec.interfaces[i].<hook>.chain[j]): one lookup per part, where a
  // config may have 100,000 errors and as many NFs.
  const unsound = new Set<string>();
  for (const path of failed) for (let depth = 0; depth <= Math.min(path.length, 6); depth++) unsound.add(JSON.stringify(path.slice(0, depth)));
  const sound = (path: PathSegment[]) => !unsound.has(JSON.stringify(path));
  const spec = mapping(mapping(doc.value)?.spec);
  const interfaces = spec?.interfaces;
  if (!Array.isArray(interfaces) || !sound(["spec", "hostSelector"])) return [];
  const documentSelector = spec!.hostSelector as HostSelector | undefined;
  const errors = selectorProblems(doc, ["spec", "hostSelector"], documentSelector);
  if (!selectsHost(documentSelector, host)) return errors;
  interfaces.forEach((entry: unknown, i) => {
    const iface = mapping(entry);
    const ifacePath = ["spec", "interfaces", i];
    if (!iface || !sound([...ifacePath, "hostSelector"])) return;
    const selector = iface.hostSelector as HostSelector | undefined;
    for (const error of selectorProblems(doc, [...ifacePath, "hostSelector"], selector)) errors.push(error);
    if (!selectsHost(selector, host)) return;
    for (const [field, hook] of HOOK_FIELDS) {
      const chain = mapping(iface[field])?.chain;
      if (!Array.isArray(chain)) continue;
      const ctx = { doc, baseDir, ...code, hook, hookField: field };
      const chainPath = [...ifacePath, field, "chain"];
      const checked = sound([...ifacePath, field])
        ? resolveChain(ctx, chainPath, chain as XdpNf[]).errors
        : chain.flatMap((nf: unknown, j) => (mapping(nf) && sound([...chainPath, j]) ? resolveNf(ctx, [...chainPath, j], nf as XdpNf).errors : []));
      for (const error of checked) errors.push(error);
    }
  });
  return errors;
}

/** `value` if it is a YAML mapping (plain data: an object, not a list). */
function mapping(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function resolveChain(ctx: NfContext, chainPath: PathSegment[], chain: ReadonlyArray<XdpNf | TcNf>): { chain: DesiredNf[]; errors: ConfigError[] } {
  const { doc } = ctx;
  const errors: ConfigError[] = [];
  for (const { index: j, firstIndex: earlier } of duplicateNames(chain.map((nf) => nf.name))) {
    const first = doc.locate([...chainPath, earlier, "name"]);
    errors.push(
      doc.error(
        [...chainPath, j, "name"],
        "nf-name-duplicate",
        `NF name "${chain[j]!.name}" is already used by ${formatPath([chainPath[chainPath.length - 1]!, earlier])} at line ${first.line}; NF names must be unique within a hook`,
      ),
    );
  }

  const resolved: ResolvedNf[] = chain.map((nf, j) => resolveNf(ctx, [...chainPath, j], nf));
  // Not push(...r.errors): a map with 100,000 bad entries would overflow the stack.
  for (const r of resolved) for (const error of r.errors) errors.push(error);

  // An NF without nf_next ends the chain: it cannot hand packets on. Only
  // enabled NFs whose objects could be inspected are judged.
  const enabled = chain.flatMap((nf, j) => {
    const summary = resolved[j]!.summary;
    return nf.enabled !== false && summary ? [{ nf, j, summary }] : [];
  });
  for (const k of unawareNotLast(enabled.map(({ summary }) => summary))) {
    const { nf, j, summary } = enabled[k]!;
    const object = describeCode(resolved[j]!.nf?.origin, summary.path);
    errors.push(
      doc.error(
        [...chainPath, j],
        "chain-unaware-not-last",
        `NF "${nf.name}" must be the last enabled NF of its chain: ${object} has no nf_next map (it is not chain-aware), so it cannot pass packets on to "${enabled[k + 1]!.nf.name}"`,
      ),
    );
  }

  return { chain: resolved.flatMap((r) => (r.nf ? [r.nf] : [])), errors };
}
