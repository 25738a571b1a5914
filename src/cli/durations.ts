/**
 * Durations as operators write them: "500ms", "30s", "5m", "1h", or
 * combined ("1m30s"). A bare number is refused: the unit is not obvious.
 *
 * @example
 *     parseDuration("1m30s") // 90_000
 *     parseDuration("3000")  // throws: "3000" needs a unit, e.g. 3000ms or 3s
 */
import { InvalidArgumentError, Option } from "commander";

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

export function parseDuration(value: string): number {
  if (/^\d+$/.test(value)) {
    const seconds = Number(value) % 1000 === 0 && Number(value) > 0 ? ` or ${Number(value) / 1000}s` : "";
    throw new InvalidArgumentError(`"${value}" needs a unit, e.g. ${value}ms${seconds}`);
  }
  const parts = [...value.matchAll(/(\d+)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== value) {
    throw new InvalidArgumentError(`"${value}" is not a duration; write it as 500ms, 30s, 5m, 1h or 1m30s`);
  }
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * UNITS[unit!]!, 0);
  if (ms === 0) throw new InvalidArgumentError("must be longer than 0");
  return ms;
}

/** A duration option whose default shows as written ("30s"), not in milliseconds. */
export const durationOption = (flags: string, description: string, fallback: string) =>
  new Option(flags, description).argParser(parseDuration).default(parseDuration(fallback), fallback);
