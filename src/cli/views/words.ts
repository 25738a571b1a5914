/**
 * The words for the typed values of plans and status: reasons, changes,
 * drift, warnings. Plans and status hold codes and fields; only views say
 * them in English.
 *
 * @example
 *     describeReason({ code: "stale-generation", generation: 3 }) // "generation 3 was left behind by an interrupted run"
 */
import type { ActionKind, AssumedHost, CommitKind, Drift, HookPlan, NfChange, Plan, PlanBasis, Reason, Warning } from "../../reconcile/index.js";
import type { CodeOrigin } from "../../reconcile/index.js";

/** The symbol of each kind of action, as `terraform plan` marks them. */
export const ACTION_SYMBOL: Record<ActionKind, string> = {
  start: "+",
  stop: "-",
  update: "~",
  reconfigure: "~",
  reorder: "↕",
  repair: "!",
};

function short(digest: string): string {
  return `${digest.slice(0, 12)}…`;
}

export function describeDrift(d: Drift): string {
  switch (d.kind) {
    case "interface-missing":
      return `interface ${d.ifname} does not exist`;
    case "link-missing":
      return `the chain is not attached to ${d.ifname} ${d.hook} (its link is gone)`;
    case "link-defunct":
      return `link ${d.linkId} is no longer attached to ${d.ifname} (detached, or the interface was deleted)`;
    case "unknown-program-attached":
      return `nfctl's ${d.attachment} runs program ${d.progId} (${d.progName}), which is not the first NF of any generation`;
    case "program-missing":
      return `the program pin of NF "${d.nf}" (position ${d.position}) is gone`;
    case "wiring": {
      const holds = d.holds === undefined ? "an empty slot" : `program ${d.holds}`;
      const expected = d.expected === undefined ? "an empty slot (end of chain)" : `program ${d.expected} (NF "${d.expectedNf}")`;
      return `nf_next of NF "${d.nf}" holds ${holds}, expected ${expected}`;
    }
    case "record-missing":
      return `generation ${d.generation} has no record`;
    case "record-mismatch":
      return `generation ${d.generation} pins [${d.pinned.join(",")}] but its record says [${d.recorded.join(",")}]`;
    case "interface-recreated":
      return `the record was made for ifindex ${d.recordedIfindex}; the interface is now ifindex ${d.ifindex} (recreated)`;
    case "foreign-program":
      return `program ${d.program.id} (${d.program.name}) on ${d.ifname} ${d.hook} was not attached by nfctl`;
  }
}

export function describeReason(r: Reason): string {
  switch (r.code) {
    case "not-running":
      return "in the config, not running";
    case "added-to-chain":
      return "added to the chain";
    case "removed-from-config":
      return "removed from the config";
    case "disabled-in-config":
      return "disabled in the config";
    case "hook-not-in-config":
      return "hook no longer in the config";
    case "interface-not-in-config":
      return "interface no longer in the config";
    case "destroy":
      return r.interface === undefined ? "nfctl destroy" : `nfctl destroy --interface ${r.interface}`;
    case "nf-changed":
      return "the NF changed";
    case "maps-differ":
      return "map contents differ from the config";
    case "order-changed":
      return "the order of the chain changed";
    case "mode-changed":
      return `XDP mode ${r.from} -> ${r.to}: the chain is attached again, which is not atomic`;
    case "drift":
      return describeDrift(r.drift);
    case "stale-generation":
      return `generation ${r.generation} was left behind by an interrupted run`;
    case "foreign-program":
      return `program ${r.program.id} (${r.program.name}) was not attached by nfctl; --force removes it`;
  }
}

function verdicts(list: string[] | undefined, mask: number | undefined): string {
  if (list) return `[${list.join(", ")}]`;
  return mask === undefined ? "(none)" : "[pass]";
}

/**
 * Where an NF's code came from, with the digest that pins it: an image as
 * REF@sha256:… (a reference by digest is that already), an artifact as its
 * URL and sha256.
 *
 * @example
 *     describeOrigin({ kind: "image", ref: "reg.example/nfs/counter:v1", digest: "sha256:9f2c…", format: "bpfman" })
 *     // "image reg.example/nfs/counter:v1@sha256:9f2c…"
 */
export function describeOrigin(origin: CodeOrigin): string {
  if (origin.kind === "image") {
    const pinned = origin.ref.endsWith(`@${origin.digest}`) ? origin.ref : `${origin.ref}@${origin.digest}`;
    return `image ${pinned}${origin.verifiedBy ? `, signed by ${origin.verifiedBy}` : ""}`;
  }
  return `artifact ${origin.url}${origin.object !== undefined ? ` (${origin.object})` : ""} sha256 ${short(origin.sha256)}`;
}

export function describeChange(c: NfChange): string {
  switch (c.field) {
    case "digest": {
      const object = `object sha256 ${short(c.from)} -> ${short(c.to)}`;
      const from = c.originFrom;
      const to = c.originTo;
      // A tag that moved: the image it names now, digest to digest, as the registry shows them.
      if (from?.kind === "image" && to?.kind === "image" && from.ref === to.ref) return `image ${to.ref} ${from.digest} -> ${to.digest} (${object})`;
      if (from || to) return `${from ? describeOrigin(from) : c.objectFrom} -> ${to ? describeOrigin(to) : c.objectTo} (${object})`;
      const moved = c.objectFrom === c.objectTo ? "" : ` (${c.objectFrom} -> ${c.objectTo})`;
      return `${object}${moved}`;
    }
    case "program":
      return `program ${c.from} -> ${c.to}`;
    case "version":
      return `version ${c.from ?? "(none)"} -> ${c.to ?? "(none)"}`;
    case "proceedOn":
      return `proceedOn ${verdicts(c.from, c.fromMask)} -> ${verdicts(c.to, c.toMask)}`;
  }
}

export function describeWarning(w: Warning): string {
  const what = `program ${w.program.id} (${w.program.name}) on ${w.ifname} ${w.hook} was not attached by nfctl`;
  return w.blocksApply
    ? `${what} and occupies the hook; nfctl leaves it alone, so apply will fail unless run with --force`
    : `${what}; it is left alone (--force removes it)`;
}

/** A chain as its NF names in order. */
export function describeChain(names: readonly string[]): string {
  return names.length === 0 ? "(empty)" : names.join(" -> ");
}

/** How apply commits a hook, in words. */
export function describeCommit(hook: HookPlan): string {
  const replaced = hook.generation === undefined ? "a new generation is attached" : `generation ${hook.generation} is replaced by a new one`;
  const how: Record<CommitKind, string> = {
    create: "a new generation is attached",
    update: `${replaced} in one step`,
    reattach: `${replaced}, detached and attached again (not atomic)`,
    "in-place": `maps of generation ${hook.generation} are written in place`,
    detach: "the chain is detached and its pins removed",
    cleanup: "leftovers of an interrupted run are unpinned (nothing is loaded)",
    none: "no changes",
  };
  return how[hook.commit];
}

/** What the plan changes, counted: "1 to start, 0 to update, …, 1 to stop" (and repairs, when there are some). */
export function summaryCounts(plan: Plan): string {
  const s = plan.summary;
  const repair = s.repair > 0 ? `, ${s.repair} to repair` : "";
  return `${s.start} to start, ${s.update} to update, ${s.reorder} to reorder, ${s.reconfigure} to reconfigure, ${s.stop} to stop${repair}`;
}

/** The line that ends a plan: "Plan: 1 to start, … ." */
export function summaryLine(plan: Plan): string {
  return `Plan: ${summaryCounts(plan)}.`;
}

/**
 * What a plan made with --interface leaves out, or undefined for a plan of
 * the whole network namespace; `quote` writes each name (markdown: as code).
 *
 * @example
 *     describeScope({ scope: { interfaces: ["eth1"] } }) // "Planned for interface eth1 only; other interfaces are left as they are."
 */
export function describeScope(plan: Pick<Plan, "scope">, quote = (name: string) => name): string | undefined {
  if (!plan.scope) return undefined;
  const names = plan.scope.interfaces;
  return `Planned for interface${names.length === 1 ? "" : "s"} ${names.map(quote).join(", ")} only; other interfaces are left as they are.`;
}

/**
 * What an offline plan was made against, in words; undefined for the
 * kernel (a plan absent of basis is apply's, made against the kernel too).
 *
 * @example
 *     describeBasis({ kind: "base", ref: "origin/main", revision: `origin/main@sha1:${"ab".repeat(20)}` })
 *     // "hosts assumed to run the config at origin/main (sha1:abab…ab)"
 */
export function describeBasis(basis: PlanBasis | undefined): string | undefined {
  switch (basis?.kind) {
    case undefined:
    case "kernel":
      return undefined;
    case "empty":
      return "an empty host (--offline: nothing read from a kernel)";
    case "observed":
      return `the host status in ${basis.file} (network namespace ${basis.netns})`;
    case "base": {
      const sha = basis.revision?.replace(/^.*@/, "");
      return `hosts assumed to run the config at ${basis.ref}${sha === undefined || basis.revision === basis.ref ? "" : ` (${sha})`}`;
    }
  }
}

/**
 * The side a map diff shows before apply: (kernel), or offline what stood
 * in for it: (empty), (observed) or (base).
 */
export function beforeSide(basis: PlanBasis | undefined): string {
  return basis === undefined ? "kernel" : basis.kind;
}

/**
 * The host a fleet config's offline plan assumed, in words.
 *
 * @example
 *     describeAssumedHost({ name: "ci-7", labels: {} })
 *     // "assumed host ci-7 with no labels (this machine's name; --hostname and --host-label name the host planned for)"
 */
export function describeAssumedHost(host: AssumedHost): string {
  const labels = Object.entries(host.labels).map(([k, v]) => `${k}=${v}`);
  const withLabels = labels.length === 0 ? "with no labels" : `with labels ${labels.join(", ")}`;
  return `assumed host ${host.name} ${withLabels} (this machine's name; --hostname and --host-label name the host planned for)`;
}
