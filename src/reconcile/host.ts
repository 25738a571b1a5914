/**
 * The host a config is loaded for: its name and labels, which the config's
 * host selectors match (config/host-selector.ts), so that one repository
 * can configure a fleet.
 *
 * The name is --hostname, else $NFCTL_HOSTNAME, else $KUBE_NODE_NAME (a
 * DaemonSet's node name from the downward API), else the system's host
 * name. The labels come from a labels file (key=value lines, # comments)
 * and from --host-label key=value, which wins over the file. Label keys
 * and values have the syntax of Kubernetes labels.
 *
 * @example
 *     resolveHost({ labels: ["zone=eu-1"], labelsFile: "/etc/nfctl/labels" }, { KUBE_NODE_NAME: "edge-1" })
 *     // { host: { name: "edge-1", labels: { role: "edge", zone: "eu-1" } }, from: "KUBE_NODE_NAME" }
 */
import { hostname } from "node:os";
import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { describeFsError, readBounded } from "./config/inputs.js";

export interface Host {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/**
 * A label key: an optional DNS-subdomain prefix and "/", then a name of 1
 * to 63 letters, digits, "-", "_" or ".", starting and ending with a letter
 * or digit. The same pattern as $defs.labelKey in schemas/nfconfig.schema.json.
 */
export const LABEL_KEY = /^(?:[a-z0-9](?:[-a-z0-9]*[a-z0-9])?(?:\.[a-z0-9](?:[-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
/** A label value: empty, or 1 to 63 characters as a key's name. The same as $defs.labelValue. */
export const LABEL_VALUE = /^(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const KEY_RULE =
  "a label key is a name of 1 to 63 letters, digits, '-', '_' or '.' (starting and ending with a letter or digit), with an optional DNS prefix and '/'";
const VALUE_RULE = "a label value is empty, or 1 to 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit";

/** "key=value" as a label, or what is wrong with it. */
export function parseLabel(text: string): { key: string; value: string } | { problem: string } {
  const equals = text.indexOf("=");
  if (equals < 0) return { problem: `"${text}" is not key=value` };
  const key = text.slice(0, equals).trim();
  const value = text.slice(equals + 1).trim();
  if (!LABEL_KEY.test(key)) return { problem: `"${key}" is not a label key: ${KEY_RULE}` };
  if (!LABEL_VALUE.test(value)) return { problem: `"${value}" is not a label value: ${VALUE_RULE}` };
  return { key, value };
}

/** The most bytes of a host labels file: thousands of labels. */
export const MAX_LABELS_FILE_BYTES = 64 * 1024;

/**
 * The text of a host labels file: a regular file of at most
 * MAX_LABELS_FILE_BYTES, read no further (`/dev/zero` once ended in
 * std::bad_alloc). Throws one line naming the file.
 */
function readLabelsFile(file: string): string {
  const what = `the host labels file ${file}`;
  const cannotRead = (err: unknown) => new Error(`cannot read ${what}: ${describeFsError(err)}`);
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat refuses it next.
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw cannotRead(err);
  }
  let bytes: Buffer;
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${what} is not a regular file`);
    try {
      bytes = readBounded(fd, MAX_LABELS_FILE_BYTES);
    } catch (err) {
      throw cannotRead(err);
    }
  } finally {
    closeSync(fd);
  }
  if (bytes.length > MAX_LABELS_FILE_BYTES) throw new Error(`${what} is larger than ${MAX_LABELS_FILE_BYTES / 1024} KiB, the most nfctl reads of it`);
  return bytes.toString("utf8");
}

/** The labels of a labels file's text: key=value lines; blank lines and # comments are skipped. Throws `file:line: problem`. */
export function parseLabelsFile(text: string, file: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const lines = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const label = parseLabel(line);
    if ("problem" in label) throw new Error(`${file}:${i + 1}: ${label.problem}`);
    const earlier = lines.get(label.key);
    if (earlier !== undefined) throw new Error(`${file}:${i + 1}: label "${label.key}" is already set at line ${earlier}`);
    lines.set(label.key, i + 1);
    labels[label.key] = label.value;
  });
  return labels;
}

export interface HostOptions {
  /** --hostname. */
  name?: string;
  /** --host-label key=value, repeated. */
  labels?: string[];
  /** --host-labels-file. */
  labelsFile?: string;
}

/** Where the host's name came from: a person chose it, or the system said it. */
export type HostNameSource = "--hostname" | "NFCTL_HOSTNAME" | "KUBE_NODE_NAME" | "system";

/** The host as the options and environment name it. Throws one line for a bad label or an unreadable labels file. */
export function resolveHost(options: HostOptions, env: NodeJS.ProcessEnv = process.env): { host: Host; from: HostNameSource } {
  const named = (
    [
      ["--hostname", options.name],
      ["NFCTL_HOSTNAME", env.NFCTL_HOSTNAME],
      ["KUBE_NODE_NAME", env.KUBE_NODE_NAME],
    ] as const
  ).find(([, name]) => name !== undefined && name !== "");
  if (options.name === "") throw new Error("--hostname must not be empty");
  const labels: Record<string, string> = {};
  if (options.labelsFile !== undefined) Object.assign(labels, parseLabelsFile(readLabelsFile(options.labelsFile), options.labelsFile));
  for (const text of options.labels ?? []) {
    const label = parseLabel(text);
    if ("problem" in label) throw new Error(`--host-label ${label.problem}`);
    labels[label.key] = label.value;
  }
  return named ? { host: { name: named[1]!, labels }, from: named[0] } : { host: { name: hostname(), labels }, from: "system" };
}
