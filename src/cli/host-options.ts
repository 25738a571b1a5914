/**
 * The options that say which host a config is loaded for (its host
 * selectors), shared by every command that loads a config: plan, apply,
 * and the coming watch. Kept free of nfctl's layers (types aside), so that
 * main.ts can add them without loading what the commands need.
 *
 * @example
 *     hostOptions(program.command("plan")); // --hostname, --host-label (repeatable), --host-labels-file
 *     resolveHost(hostOptionsOf(opts));     // in the command, from ../reconcile
 */
import type { Command } from "commander";
import type { HostOptions } from "../reconcile/index.js";

export interface HostFlags {
  hostname?: string;
  hostLabel?: string[];
  hostLabelsFile?: string;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function hostOptions(cmd: Command): Command {
  return cmd
    .option("--hostname <name>", "the host's name, for host selectors (default: $NFCTL_HOSTNAME, $KUBE_NODE_NAME, or the system's host name)")
    .option("--host-label <key=value>", "a label of the host, for host selectors (repeatable; wins over --host-labels-file)", collect)
    .option("--host-labels-file <file>", "the host's labels: key=value lines, # comments");
}

/** The flags as the reconcile layer takes them. */
export function hostOptionsOf(flags: HostFlags): HostOptions {
  return {
    ...(flags.hostname !== undefined && { name: flags.hostname }),
    ...(flags.hostLabel && { labels: flags.hostLabel }),
    ...(flags.hostLabelsFile !== undefined && { labelsFile: flags.hostLabelsFile }),
  };
}

/** Whether any of the flags was given. */
export function hostFlagsGiven(flags: HostFlags): boolean {
  return flags.hostname !== undefined || flags.hostLabel !== undefined || flags.hostLabelsFile !== undefined;
}
