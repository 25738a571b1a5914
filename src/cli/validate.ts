/**
 * `nfctl validate`: checks a config as plan and apply load it (YAML,
 * schema, host selectors, objects, programs and maps) and stops there. It
 * reads no kernel state and touches no bpffs: objects are opened, never
 * loaded, as `plan --offline` opens them, so it needs neither root nor
 * CAP_BPF. Every problem of every file is reported in one run.
 */
import { ConfigErrors, resolveHost } from "../reconcile/index.js";
import type { Context } from "./main.js";
import { toJson } from "./views/json.js";
import { configDiagnostic } from "./diagnostics.js";
import { hostOptionsOf, type HostFlags } from "./host-options.js";
import { checkOneSource } from "./git-options.js";
import { loadSourceConfig, type SourceFlags } from "./config-source.js";

export interface ValidateOptions extends HostFlags, SourceFlags {
  output: "text" | "json";
}

/**
 * Exit 0 with a one-line summary when the config is valid for the host,
 * 1 with every problem when it is not.
 *
 * @example
 *     // nfctl validate -f examples/fleet --hostname edge-1 --host-label role=edge
 *     // nfctl: 2 files valid for host edge-1: 2 hooks, 3 NFs
 */
export async function validateCommand(opts: ValidateOptions, context: Context): Promise<number> {
  checkOneSource("validate", opts);
  const { host } = resolveHost(hostOptionsOf(opts));
  try {
    const desired = await loadSourceConfig(opts, { log: context.libbpfLog, host });
    const files = desired.files;
    if (opts.output === "json") {
      process.stdout.write(toJson("Validation", { valid: true, files, diagnostics: [] }));
    } else {
      const nfs = desired.hooks.reduce((n, h) => n + h.chain.length, 0);
      process.stdout.write(
        `nfctl: ${counted(files.length, "file")} valid for host ${host.name}: ${counted(desired.hooks.length, "hook")}, ${counted(nfs, "NF")}\n`,
      );
    }
    return 0;
  } catch (err) {
    // Other errors (an unreadable source, no libbpf) are not the config's: main.ts reports them.
    if (!(err instanceof ConfigErrors) || opts.output !== "json") throw err;
    process.stdout.write(toJson("Validation", { valid: false, files: [...err.files], diagnostics: err.errors.map(configDiagnostic) }));
    return 1;
  }
}

/** "1 file", "3 files". */
function counted(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
