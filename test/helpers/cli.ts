/**
 * Runs the nfctl binary as a user would: a separate process, started inside
 * a lab namespace with nsenter, against the lab's bpffs root.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Lab } from "./lab.js";
import { BUILD } from "./nfs.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function nfctl(lab: Lab, args: string[], options: { stdin?: string; ns?: string; env?: NodeJS.ProcessEnv } = {}): CliResult {
  const r = spawnSync("nsenter", [`--net=/run/netns/${options.ns ?? lab.nsB}`, process.execPath, NFCTL, "--bpffs", lab.root, ...args], {
    encoding: "utf8",
    input: options.stdin ?? "",
    env: { ...process.env, NO_COLOR: "1", ...options.env },
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export interface NfSpec {
  name: string;
  nf: "counter" | "blocklist" | "portfilter" | "ratelimit";
  enabled?: boolean;
  maps?: string;
}

/** A config for veth-b with absolute object paths, written into `dir`; returns its path. */
export function writeConfig(dir: string, file: string, hooks: { xdp?: NfSpec[]; tcEgress?: NfSpec[]; ifname?: string }): string {
  const chain = (kind: "xdp" | "tc", nfs: NfSpec[]) =>
    nfs
      .map(
        (n) =>
          `          - name: ${n.name}\n            object: ${BUILD}/${n.nf}.o\n            program: ${kind}_${n.nf}\n` +
          (n.enabled === false ? "            enabled: false\n" : "") +
          (n.maps ? `            maps:\n${n.maps.replace(/^/gm, "              ")}\n` : ""),
      )
      .join("");
  let text = `apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: test\nspec:\n  interfaces:\n    - name: ${hooks.ifname ?? "veth-b"}\n`;
  if (hooks.xdp) text += `      xdp:\n        chain:\n${chain("xdp", hooks.xdp)}`;
  if (hooks.tcEgress) text += `      tcEgress:\n        chain:\n${chain("tc", hooks.tcEgress)}`;
  const path = join(dir, file);
  writeFileSync(path, text);
  return path;
}
