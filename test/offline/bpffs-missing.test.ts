/**
 * Where no bpffs is mounted and nfctl may not mount one (no CAP_SYS_ADMIN,
 * as in a container that is not privileged), a command that needs the
 * state stops with one line that says what to do, and mounts nothing. Run
 * as nobody (when the tests are root), whose mount(2) always fails: no
 * kernel state is touched.
 */
import t from "tap";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { handOver, nfctl } from "./helpers/unprivileged.js";

t.test("no bpffs, and no right to mount one: one line, exit 1", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "nfctl-no-bpffs-"));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  handOver(dir);
  const root = join(dir, "root");
  const r = nfctl(["destroy", "--bpffs", root]);
  t.equal(r.code, 1);
  t.equal(
    r.stderr,
    `nfctl: no bpffs is mounted on ${root} and nfctl could not mount one (mount(bpffs on ${root}): Operation not permitted (EPERM)); mount it on the host first: mount -t bpf bpf ${root}\n`,
  );
  t.equal(r.stdout, "");
});
