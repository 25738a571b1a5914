/**
 * deploy/systemd/nfctl-watch.service: the hardening it promises, and
 * Debian's `systemd-analyze verify` finds nothing wrong with it.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LISTEN } from "../../src/controller/http.js";
import { UNIT_PATH as UNIT, parseUnit, serviceOf, systemdBytes, unitText } from "../helpers/systemd-unit.js";
import { watcherPeakRssBytes } from "../helpers/measured-memory.js";

const text = unitText();

/** `systemd-analyze verify FILE`: exit code and what it printed. */
function verify(file: string): { code: number; output: string } {
  const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`systemd-analyze is missing (${r.error.message}): install the Debian package systemd (bash scripts/setup.sh does)`);
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const unit = parseUnit(text);
const { one, words } = serviceOf(text);

t.test("the unit runs nfctl watch as a hardened exec service", async (t) => {
  t.same([...unit.keys()], ["Unit", "Service", "Install"]);
  t.equal(one("Type"), "exec", "Node cannot sd_notify: readiness is /readyz");
  t.equal(one("ExecStart"), `/usr/bin/nfctl watch -f /etc/nfctl --listen ${DEFAULT_LISTEN}`);
  t.match(text, /^#ExecStart=\/usr\/bin\/nfctl watch --git \S+ --listen /m, "a git source, commented out");
  t.equal(one("Restart"), "on-failure");
  t.equal(one("KillSignal"), "SIGTERM");
  t.equal(one("NoNewPrivileges"), "yes");
  t.equal(one("ProtectSystem"), "strict");
  t.equal(one("ProtectHome"), "yes");
  t.equal(one("PrivateTmp"), "yes");
  t.same(words("ReadWritePaths").sort(), ["/sys/fs/bpf", "/var/lib/nfctl"]);
  t.equal(one("StateDirectory"), "nfctl");
  const caps = ["CAP_BPF", "CAP_NET_ADMIN", "CAP_PERFMON", "CAP_SYS_ADMIN"];
  t.same(words("CapabilityBoundingSet").sort(), caps);
  t.same(words("AmbientCapabilities").sort(), caps);
  for (const cap of caps) t.match(text, new RegExp(`^#\\s+${cap}\\s+\\S`, "m"), `a comment says why ${cap}`);
  t.same(words("RestrictAddressFamilies").sort(), ["AF_INET", "AF_INET6", "AF_NETLINK", "AF_UNIX"]);
  t.equal(one("MemoryDenyWriteExecute"), undefined, "no MemoryDenyWriteExecute: V8 needs W+X");
  t.match(text, /MemoryDenyWriteExecute=yes kills Node\.js.*\n.*nodejs\/node#55509/, "and the comment says so");
  t.same(unit.get("Unit")?.get("AssertPathIsMountPoint"), ["/sys/fs/bpf"]);
  t.same(unit.get("Install")?.get("WantedBy"), ["multi-user.target"]);
  t.match(text, /^# Install .*\n(#.*\n)*#\s+systemctl enable --now nfctl-watch\.service$/m, "how to install it");
  t.match(text, /GET\s+(#\s+)?\/readyz/, "how readiness works");
});

t.test("memory: MemoryHigh above the watcher's measured peak, MemoryMax twice it", async (t) => {
  const peak = watcherPeakRssBytes();
  const high = systemdBytes(one("MemoryHigh") ?? "0");
  const max = systemdBytes(one("MemoryMax") ?? "0");
  t.ok(high >= peak, `MemoryHigh ${one("MemoryHigh")} >= the measured peak RSS of ${(peak / 2 ** 20).toFixed(1)} MiB`);
  t.ok(max >= 2 * peak, `MemoryMax ${one("MemoryMax")} >= twice the measured peak`);
  t.ok(max > high, "MemoryMax above MemoryHigh: reclaim before the kill");
  t.match(text, /^# .*bench\/RESULTS\.md/m, "the comment names the measurement");
});

t.test("systemd-analyze verify: no error about the unit", async (t) => {
  // A copy whose ExecStart names a binary that exists here (node), under the
  // same file name, in a directory of its own.
  const dir = mkdtempSync(join(tmpdir(), "nfctl-unit-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const copy = join(dir, "nfctl-watch.service");
  const pointed = text.replace(/^ExecStart=\/usr\/bin\/nfctl /m, `ExecStart=${process.execPath} `);
  t.not(pointed, text, "ExecStart was pointed at node");
  writeFileSync(copy, pointed);
  t.same(verify(copy), { code: 0, output: "" }, "the copy verifies clean");

  // The unit itself: clean where nfctl is installed, else exactly the one
  // complaint that /usr/bin/nfctl is missing.
  const r = verify(UNIT);
  if (existsSync("/usr/bin/nfctl")) t.same(r, { code: 0, output: "" });
  else {
    t.not(r.code, 0);
    t.same(r.output.trim().split("\n"), ["nfctl-watch.service: Command /usr/bin/nfctl is not executable: No such file or directory"]);
  }
});
