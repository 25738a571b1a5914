/**
 * `nfctl version`: nfctl's version and the commit of its build, the libbpf
 * the dynamic loader found (the same file this process maps), the kernel
 * and Node, as text or JSON; a host without libbpf still gets a report.
 * (With libbpf really hidden: test/cli/no-libbpf.test.ts, as root.)
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { fileURLToPath } from "node:url";
import { libbpfFile, libbpfVersion } from "../../src/native/index.js";
import { renderVersion } from "../../src/cli/views/version-text.js";

const NFCTL = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };
const BUILD_INFO = JSON.parse(readFileSync(new URL("../../src/build-info.json", import.meta.url), "utf8")) as { commit: string; dirty?: boolean };

function nfctl(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [NFCTL, ...args], { encoding: "utf8", cwd: "/", env: { ...process.env, NO_COLOR: "1" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test("the build recorded its commit", async (t) => {
  t.match(BUILD_INFO, { commit: /^[0-9a-f]{12}$/, dirty: Boolean }, "built in this git checkout");
});

t.test("nfctl version, as text", async (t) => {
  const r = nfctl(["version"]);
  t.equal(r.code, 0, r.stderr);
  t.equal(r.stderr, "");
  const commit = `commit ${BUILD_INFO.commit}${BUILD_INFO.dirty ? ", modified" : ""}`;
  t.equal(r.stdout, `nfctl ${PACKAGE.version} (${commit})\nlibbpf ${libbpfVersion()} (${libbpfFile()})\nkernel ${release()}\nnode ${process.version}\n`);
  t.match(libbpfFile(), /^\/.*\/libbpf\.so\.1[.\d]*$/, "the file the loader opened, by its real name");
  t.equal(nfctl(["--version"]).stdout, `${PACKAGE.version}\n`, "--version stays the version alone");
});

t.test("nfctl version -o json", async (t) => {
  const r = nfctl(["version", "-o", "json"]);
  t.equal(r.code, 0, r.stderr);
  t.same(JSON.parse(r.stdout), {
    formatVersion: 1,
    kind: "Version",
    version: {
      nfctl: { version: PACKAGE.version, ...BUILD_INFO },
      libbpf: { version: libbpfVersion(), path: libbpfFile() },
      kernel: release(),
      node: process.version,
    },
  });
});

t.test("the text of a build without a commit, on a host without libbpf", async (t) => {
  const error =
    "libbpf.so.1 cannot be loaded (libbpf.so.1: cannot open shared object file: No such file or directory); install Debian's libbpf1 (apt-get install libbpf1)";
  t.equal(
    renderVersion({ nfctl: { version: "0.1.0", commit: "unknown" }, libbpf: { error }, kernel: "6.1.0-28-amd64", node: "v20.18.1" }),
    `nfctl 0.1.0 (commit unknown)\nlibbpf unavailable: ${error}\nkernel 6.1.0-28-amd64\nnode v20.18.1\n`,
  );
});
