/**
 * One reconcile of the loop: load the snapshot's config, refuse a source
 * that suddenly yields nothing (unless allowed), and reconcile the kernel
 * to it once. Every failure becomes a StepResult with a reason, never an
 * exception, and changes nothing in the kernel (the executor's promise).
 *
 * The last config that applied is kept, with its objects' bytes: while the
 * source is unusable (invalid, empty, unfetchable, unverified), the loop
 * enforces that one (enforceLastGood), so drift is still repaired with the
 * same code, by digest, and the same map contents. A firewall does not go
 * down because someone pushed a broken commit.
 *
 * @example
 *     const steps = reconcileStep({ root, lockTimeout: 0, allowEmpty: false, host, sourcePath: "/etc/nfctl", objectPaths: [] });
 *     await steps.step(directorySnapshot(["/etc/nfctl"]));  // { result: "applied", revision: "sha256:…", … }
 *     await steps.enforceLastGood();                         // { result: "unchanged", revision: "sha256:…", … }, or undefined before any success
 */
import {
  ApplyError,
  ConfigErrors,
  EMPTY_DESIRED,
  PlanRefusedError,
  StalePlanError,
  formatConfigError,
  isEmptyPlan,
  loadDesiredYielding,
  objectRoots,
  readCheckedObjects,
  reconcileOnce,
  type DesiredState,
  type Host,
  type CodeResolver,
  type LibbpfLogSink,
  type ReconcileOutcome,
} from "../reconcile/index.js";
import type { Snapshot } from "../sources/snapshot.js";
import { succeeded, type StepResult } from "./loop.js";

export interface StepOptions {
  root: string;
  lockTimeout: number;
  /** Detach everything when the source yields no NF at all (Argo CD's allowEmpty). */
  allowEmpty: boolean;
  /** The host the config is loaded for (its host selectors). */
  host: Host;
  force?: boolean;
  /** Where the snapshot came from, recorded with each generation. */
  sourcePath: string;
  /** Directories the config may take objects from besides the snapshot's own (the bundled NFs, --object-path). */
  objectPaths: string[];
  log?: LibbpfLogSink;
  /**
   * Fetches the artifacts and images a config names, for a snapshot whose
   * file:// artifacts must lie in `roots`: called at every reconcile, so a
   * tag is resolved again at every resync.
   */
  codeResolver?: (roots: readonly string[]) => CodeResolver;
  /** Called once a plan is about to change the kernel (signals are held from then on). */
  onChange?: () => void;
  /** Told each reconcile's outcome (for metrics: hooks applied, drift found). */
  onOutcome?: (outcome: ReconcileOutcome) => void;
  /** A new step counter for each reconcile's apply (stepHook: the executor's test hooks, and steps at debug level). */
  stepCounter?: () => (label: string) => void;
  /** Told the interfaces the config names, for link events. */
  onInterfaces?: (names: string[]) => void;
}

/** At most this many config errors are kept in the status's message. */
const MAX_ERRORS_SHOWN = 5;

function describeConfigErrors(err: ConfigErrors): string {
  const shown = err.errors.slice(0, MAX_ERRORS_SHOWN).map(formatConfigError);
  const more = err.errors.length > MAX_ERRORS_SHOWN ? `; and ${err.errors.length - MAX_ERRORS_SHOWN} more` : "";
  return `${shown.join("; ")}${more}`;
}

function hasNoNf(desired: DesiredState): boolean {
  return desired.hooks.every((h) => h.chain.every((nf) => !nf.enabled));
}

function driftRepairs(outcome: ReconcileOutcome): number {
  return outcome.plan.hooks.flatMap((h) => h.actions).filter((a) => a.reason.code === "drift" || a.reason.code === "stale-generation").length;
}

/** What the loop runs: a reconcile of a snapshot, and the last good config's enforcement. */
export interface ReconcileSteps {
  step: (snapshot: Snapshot) => Promise<StepResult>;
  /**
   * Reconciles the kernel to the last config that applied, with the very
   * object bytes it applied: drift is repaired, nothing new is taken from
   * the source. Undefined when no config has applied since the start.
   */
  enforceLastGood: () => Promise<StepResult | undefined>;
}

/** The last config that applied: its desired state, revision, and object bytes by path. */
interface LastGood {
  desired: DesiredState;
  revision: string;
  objects: ReadonlyMap<string, Buffer>;
}

export function reconcileStep(options: StepOptions): ReconcileSteps {
  let lastGood: LastGood | undefined;
  const common = {
    root: options.root,
    lockTimeout: options.lockTimeout,
    missingInterfaces: "wait" as const,
    ...(options.log && { log: options.log }),
    ...(options.force && { force: true }),
  };

  /** Applies `desired` with `objects`; a failure is a StepResult. */
  const apply = async (desired: DesiredState, revision: string, objects: ReadonlyMap<string, Buffer>): Promise<StepResult> => {
    try {
      const outcome = await reconcileOnce(
        { desired },
        {
          ...common,
          objects,
          ...(options.onChange && { onPlan: options.onChange }),
          ...(options.stepCounter && { onStep: options.stepCounter() }),
        },
      );
      options.onOutcome?.(outcome);
      return {
        result: outcome.result ? "applied" : "unchanged",
        revision,
        hooksChanged: outcome.result?.hooks.length ?? 0,
        driftRepaired: driftRepairs(outcome),
        waitingFor: outcome.waitingFor,
      };
    } catch (err) {
      return failure(err, revision);
    }
  };

  const step = async (snapshot: Snapshot): Promise<StepResult> => {
    const { revision } = snapshot;
    let desired: DesiredState;
    let objects: Map<string, Buffer>;
    try {
      // A source without config files configures nothing (refused below unless --allow-empty).
      const source = { path: options.sourcePath, revision };
      desired =
        snapshot.inputs.length === 0
          ? { ...EMPTY_DESIRED, source }
          : await loadDesiredYielding(snapshot.inputs, {
              ...(options.log && { log: options.log }),
              host: options.host,
              source,
              objectRoots: objectRoots([...snapshot.roots, ...options.objectPaths]),
              ...(options.codeResolver && { resolveCode: options.codeResolver(objectRoots([...snapshot.roots, ...options.objectPaths])) }),
              ...(snapshot.fileNames && { fileNames: snapshot.fileNames }),
            });
      // Read once, checked against the digests just taken: the bytes applied are the bytes kept.
      objects = readCheckedObjects(desired.hooks.flatMap((h) => h.chain.filter((nf) => nf.enabled)));
    } catch (err) {
      return failure(err, revision);
    }
    options.onInterfaces?.(interfacesOf(desired));
    if (hasNoNf(desired) && !options.allowEmpty) {
      try {
        const { plan } = await reconcileOnce({ desired }, { ...common, dryRun: true });
        if (!isEmptyPlan(plan)) {
          return {
            result: "refused",
            revision,
            reason: "EmptyRefused",
            message: `revision ${revision} configures no network function; nfctl watch keeps what runs rather than detach every hook (--allow-empty allows it)`,
            transient: false,
          };
        }
      } catch (err) {
        return failure(err, revision);
      }
    }
    const result = await apply(desired, revision, objects);
    if (succeeded(result)) lastGood = { desired, revision, objects };
    return result;
  };

  const enforceLastGood = async (): Promise<StepResult | undefined> => {
    if (lastGood === undefined) return undefined;
    options.onInterfaces?.(interfacesOf(lastGood.desired));
    return apply(lastGood.desired, lastGood.revision, lastGood.objects);
  };

  return { step, enforceLastGood };
}

/** The interfaces a desired state names, once each (for link events). */
function interfacesOf(desired: DesiredState): string[] {
  return [...new Set(desired.hooks.map((h) => h.ifname))];
}

/** A reconcile's exception as the StepResult the loop reports. */
/**
 * Config errors that say a registry or an artifact server could not be
 * reached: the config may be right, so they are retried (with backoff) as
 * a source's failure is, the last good config enforced meanwhile.
 */
const UNREACHABLE = new Set<string>(["image-unavailable", "artifact-unavailable"]);

function failure(err: unknown, revision: string): StepResult {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof ConfigErrors && err.errors.every((e) => UNREACHABLE.has(e.code)))
    return { result: "failed", revision, reason: "SourceFailed", message: describeConfigErrors(err), transient: true };
  if (err instanceof ConfigErrors) return { result: "refused", revision, reason: "ConfigInvalid", message: describeConfigErrors(err), transient: false };
  if (err instanceof PlanRefusedError) return { result: "refused", revision, reason: "ApplyRefused", message, transient: false };
  if (err instanceof StalePlanError) return { result: "failed", revision, reason: "PlanStale", message, transient: true };
  if (err instanceof ApplyError) {
    const undo = err.rollbackFailures.length === 0 ? "undone" : `not fully undone: ${err.rollbackFailures.join("; ")}`;
    return { result: "failed", revision, reason: "ApplyFailed", message: `${message} (the apply was ${undo})`, transient: true };
  }
  return { result: "failed", revision, reason: "ApplyFailed", message, transient: true };
}
