/**
 * The residue check: every kernel object (program, map, link) that appeared
 * since a baseline must be accounted for by nfctl's pins under a root —
 * pinned itself, or used by a pinned program, or held in a pinned program
 * array. Anything else is residue: an object nfctl leaked.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import {
  listIds,
  openPinned,
  withHandle,
  programInfo,
  programMapIds,
  mapInfo,
  linkInfo,
  programInSlot,
  MapType,
  type ObjectKind,
} from "../../src/native/index.js";
import { eventually } from "./kernel.js";

export type Baseline = Record<ObjectKind, number[]>;

/** Every program, map and link the kernel has now. */
export function baseline(): Baseline {
  return { prog: listIds("prog"), map: listIds("map"), link: listIds("link") };
}

function pins(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? pins(p) : [p];
  });
}

/**
 * The kind of object pinned at `pin` under nfctl's `root`, by its place in
 * the layout: whatever is under a hook's maps/ (data maps, and maps a build
 * set aside) is a map, whatever its name; elsewhere "prog" and "link" pins
 * are what they say, and the rest (nf_next, records) are maps.
 */
export function pinKind(root: string, pin: string): ObjectKind {
  const parts = relative(root, pin).split(sep);
  if (parts[3] === "maps") return "map"; // <netns>/<ifname>/<hook>/maps/...
  const name = parts.at(-1);
  return name === "prog" ? "prog" : name === "link" ? "link" : "map";
}

function accounted(root: string): Baseline {
  const out: Baseline = { prog: [], map: [], link: [] };
  for (const pin of pins(root)) {
    const kind = pinKind(root, pin);
    if (kind === "prog") {
      withHandle(openPinned("prog", pin), (prog) => {
        out.prog.push(programInfo(prog).id);
        out.map.push(...programMapIds(prog));
      });
    } else if (kind === "link") {
      const info = withHandle(openPinned("link", pin), linkInfo);
      out.link.push(info.id);
      out.prog.push(info.progId);
    } else {
      withHandle(openPinned("map", pin), (map) => {
        const info = mapInfo(map);
        out.map.push(info.id);
        if (info.type === MapType.PROG_ARRAY) {
          const id = programInSlot(map, 0, pin);
          if (id !== undefined) out.prog.push(id);
        }
      });
    }
  }
  return out;
}

/** Objects new since `before` that the pins under `root` do not account for (empty when there is no residue). */
export function residue(root: string, before: Baseline): Baseline {
  const have = accounted(root);
  const now = baseline();
  const out: Baseline = { prog: [], map: [], link: [] };
  for (const kind of ["prog", "map", "link"] as const) {
    const old = new Set(before[kind]);
    const ok = new Set(have[kind]);
    out[kind] = now[kind].filter((id) => !old.has(id) && !ok.has(id));
  }
  return out;
}

/** Waits (the kernel frees objects after an RCU grace period) up to `ms` until there is no residue; returns what remains. */
export async function settledResidue(root: string, before: Baseline, ms = 5000): Promise<Baseline> {
  let last = residue(root, before);
  await eventually(() => {
    last = residue(root, before);
    return last.prog.length + last.map.length + last.link.length === 0;
  }, ms);
  return last;
}
