/**
 * deploy/systemd/nfctl-watch.service read as systemd reads it, for the
 * deploy tests: the unit's own test, and the DaemonSet's, which must grant
 * what the unit grants and no more.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const UNIT_PATH = fileURLToPath(new URL("../../../deploy/systemd/nfctl-watch.service", import.meta.url));

/** Section -> key -> every value it is given, in order (systemd's unit file syntax, without continuation lines). */
export function parseUnit(source: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const [i, raw] of source.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header) {
      current = new Map();
      sections.set(header[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current === undefined || eq < 1) throw new Error(`line ${i + 1} is neither a section nor KEY=VALUE: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** The unit's [Service] section: the last value of a key, and that value's words. */
export function serviceOf(source: string): { one: (key: string) => string | undefined; words: (key: string) => string[] } {
  const service = parseUnit(source).get("Service") ?? new Map<string, string[]>();
  const one = (key: string): string | undefined => service.get(key)?.at(-1);
  return { one, words: (key) => (one(key) ?? "").split(/\s+/).filter((w) => w !== "") };
}

/** The unit file as it is in the tree. */
export function unitText(): string {
  return readFileSync(UNIT_PATH, "utf8");
}

/**
 * A systemd size (`256M`, `1G`, bytes without a suffix; K, M, G, T are
 * powers of 1024) in bytes.
 *
 * @example
 *   systemdBytes("256M") // 268435456
 */
export function systemdBytes(value: string): number {
  const m = /^(\d+)([KMGT]?)$/.exec(value);
  if (!m) throw new Error(`${JSON.stringify(value)} is not a systemd size`);
  return Number(m[1]) * 1024 ** " KMGT".indexOf(m[2] || " ");
}
