/**
 * The watch endpoint's status reader: a worker thread walks the kernel (here
 * the host's own interfaces, read only, under a bpffs root that does not
 * exist, so no hook), answers one read at a time, keeps the process alive
 * only while it is asked, writes nothing on stderr (which is nfctl's log),
 * and starts again after close().
 */
import t, { type Test } from "tap";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const READER = fileURLToPath(new URL("../../src/cli/status-reader.js", import.meta.url));

/** Runs `body` as an ES module in a node of its own, with `reader` bound to statusReader(root). */
function run(t: Test, body: string): { code: number | null; stdout: string; stderr: string } {
  const script = join(t.testdir(), "reader.mjs");
  writeFileSync(
    script,
    `const { statusReader } = await import(${JSON.stringify(READER)});\nconst reader = statusReader("/nonexistent/nfctl-test-root");\n${body}`,
  );
  // Not tap's NODE_OPTIONS (its loader hooks): a plain node, as nfctl runs.
  const r = spawnSync(process.execPath, [script], { encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test("a read answers the status, and keeps the process alive until it does; stderr stays empty", async (t) => {
  const r = run(
    t,
    `
    const report = await reader.read();
    console.log(JSON.stringify({ root: report.root, hooks: report.hooks.length, interfaces: report.interfaces.length > 0 }));
    const again = await reader.read();
    console.log(again.hooks.length);
    await reader.close();
  `,
  );
  t.equal(r.code, 0, "the awaited reads settle (exit 13 would be an unsettled await)");
  t.same(r.stdout.trim().split("\n"), [JSON.stringify({ root: "/nonexistent/nfctl-test-root", hooks: 0, interfaces: true }), "0"]);
  t.equal(r.stderr, "", "no warning about descriptors the walk closed");
});

t.test("one read at a time; after close(), a read starts a new worker", async (t) => {
  const r = run(
    t,
    `
    const first = reader.read();
    await reader.read().then(() => console.log("second answered"), (err) => console.log(err.message));
    await first;
    await reader.close();
    console.log((await reader.read()).hooks.length);
    await reader.close();
  `,
  );
  t.equal(r.code, 0);
  t.same(r.stdout.trim().split("\n"), ["a status read is already under way", "0"]);
});

t.test("an idle reader does not keep the process alive", async (t) => {
  const started = performance.now();
  const r = run(t, `await reader.read(); console.log("read");`);
  t.equal(r.code, 0);
  t.equal(r.stdout.trim(), "read");
  t.ok(performance.now() - started < 20_000, "the process ended without close()");
});
