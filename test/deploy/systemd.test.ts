/**
 * deploy/systemd/nfctl-watch.service: the hardening it promises, and
 * Debian's `systemd-analyze verify` finds nothing wrong with it.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_LISTEN } from "../../src/controller/http.js";

const UNIT = fileURLToPath(new URL("../../../deploy/systemd/nfctl-watch.service", import.meta.url));
const text = readFileSync(UNIT, "utf8");

/** Section -> key -> every value it is given, in order (systemd's unit file syntax, without continuation lines). */
function parseUnit(source: string): Map<string, Map<string, string[]>> {
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

/** `systemd-analyze verify FILE`: exit code and what it printed. */
function verify(file: string): { code: number; output: string } {
  const r = spawnSync("systemd-analyze", ["verify", file], { encoding: "utf8", timeout: 60_000 });
  if (r.error) throw new Error(`systemd-analyze is missing (${r.error.message}): install the Debian package systemd (bash scripts/setup.sh does)`);
  return { code: r.status ?? -1, output: `${r.stdout}${r.stderr}` };
}

const unit = parseUnit(text);
const service = unit.get("Service") ?? new Map<string, string[]>();
const one = (key: string): string | undefined => service.get(key)?.at(-1);
const words = (key: string): string[] => (one(key) ?? "").split(/\s+/).filter((w) => w !== "");

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
  t.notOk(service.has("MemoryDenyWriteExecute"), "no MemoryDenyWriteExecute: V8 needs W+X");
  t.match(text, /MemoryDenyWriteExecute=yes kills Node\.js.*\n.*nodejs\/node#55509/, "and the comment says so");
  t.same(unit.get("Unit")?.get("AssertPathIsMountPoint"), ["/sys/fs/bpf"]);
  t.same(unit.get("Install")?.get("WantedBy"), ["multi-user.target"]);
  t.match(text, /^# Install .*\n(#.*\n)*#\s+systemctl enable --now nfctl-watch\.service$/m, "how to install it");
  t.match(text, /GET\s+(#\s+)?\/readyz/, "how readiness works");
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
