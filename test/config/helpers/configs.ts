/**
 * Config texts and loading for the config tests. Fixture files go into a
 * tap testdir; errors are compared as their one-line text.
 */
import { fileURLToPath } from "node:url";
import { loadConfig, formatConfigError, type LoadConfigOptions, type LoadConfigResult } from "../../../src/reconcile/config/index.js";
import type { DesiredState } from "../../../src/reconcile/desired.js";

/** bpf/build, from dist/test/config/helpers/. */
export const BUILD = fileURLToPath(new URL("../../../../bpf/build", import.meta.url));
/** examples/, from dist/test/config/helpers/. */
export const EXAMPLES = fileURLToPath(new URL("../../../../examples", import.meta.url));

/** Six lines; the interfaces given start on line 7, indented by four spaces. */
export function configText(interfaces: string, name = "test"): string {
  return `apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: ${name}\nspec:\n  interfaces:\n${interfaces}`;
}

/** An interface with one hook and the given NF entries (each a YAML mapping of six-space-indented lines). */
export function hookText(ifname: string, hook: string, nfs: string[]): string {
  return `    - name: ${ifname}\n      ${hook}:\n        chain:\n${nfs.join("")}`;
}

/** One NF list item (at ten spaces), with extra lines as given. */
export function nfText(name: string, object: string, program: string, extra = ""): string {
  return `          - name: ${name}\n            object: ${object}\n            program: ${program}\n${extra}`;
}

/**
 * A config whose chain's first NF has a typo the schema refuses, and whose
 * other NFs each have a problem only their objects show (lines 10 to 24),
 * then another interface with a hook that is right.
 */
export const TYPO_AND_MORE = configText(
  hookText("eth1", "xdp", [
    `          - name: a\n            object: ${BUILD}/counter.o\n            progam: xdp_counter\n`,
    nfText("b", "/nonexistent.o", "xdp_counter"),
    nfText("c", `${BUILD}/counter.o`, "xdp_countr"),
    nfText(
      "d",
      `${BUILD}/blocklist.o`,
      "xdp_blocklist",
      "            maps:\n              blocklist_v5: { 1: 1 }\n              blocklist_v4: { 10.0.0.1/8: 1 }\n",
    ),
  ]) + hookText("eth2", "tcEgress", [nfText("e", `${BUILD}/counter.o`, "tc_counter", "            proceedOn: [ok]\n")]),
);

/** Loads inputs relative to `cwd`. */
export function load(cwd: string, inputs: string[], options: LoadConfigOptions = {}): LoadConfigResult {
  return loadConfig(inputs, { cwd, ...options });
}

/** The errors of a load, as printed; [] when it succeeded. */
export function errorsOf(result: LoadConfigResult): string[] {
  return result.ok ? [] : result.errors.map(formatConfigError);
}

/** The desired state of a load that must succeed. */
export function desiredOf(result: LoadConfigResult): DesiredState {
  if (!result.ok) throw new Error(`expected the config to load, got:\n${errorsOf(result).join("\n")}`);
  return result.desired;
}
