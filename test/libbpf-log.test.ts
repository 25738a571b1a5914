/**
 * libbpf's messages go to the sink the call that makes them was given, and
 * nowhere without one. Opening a file that does not exist makes libbpf
 * warn without touching the kernel.
 */
import t from "tap";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { BpfObject, type LibbpfLogSink } from "../src/native/index.js";
import { withLibbpfLog } from "../src/native/libbpf-log.js";

function collecting(): { sink: LibbpfLogSink; lines: string[] } {
  const lines: string[] = [];
  return { lines, sink: { warn: (m) => lines.push(`warn ${m}`), info: (m) => lines.push(`info ${m}`), debug: (m) => lines.push(`debug ${m}`) } };
}

t.test("the sink given to open receives libbpf's messages by level", async (t) => {
  const { sink, lines } = collecting();
  t.throws(() => BpfObject.open("/nonexistent/x.o", { log: sink }), { code: "ENOENT" });
  t.ok(lines.includes("warn libbpf: elf: failed to open /nonexistent/x.o: No such file or directory"), "its warning arrives as warn");
  t.ok(
    lines.some((l) => l.startsWith("debug libbpf: loading object")),
    "debug messages arrive as debug",
  );
});

t.test("the sink is installed for that call only, and restored after a throw", async (t) => {
  const outer = collecting();
  const inner = collecting();
  withLibbpfLog(outer.sink, () => {
    t.throws(() => BpfObject.open("/nonexistent/inner.o", { log: inner.sink }));
    t.throws(() => BpfObject.open("/nonexistent/none.o"));
    t.throws(
      () =>
        withLibbpfLog(inner.sink, () => {
          throw new Error("boom");
        }),
      { message: "boom" },
    );
  });
  t.ok(inner.lines.some((l) => l.includes("/nonexistent/inner.o")));
  t.notOk(
    inner.lines.some((l) => l.includes("/nonexistent/none.o")),
    "a call without a sink does not reach an earlier one",
  );
  t.same(outer.lines, [], "nor the sink installed around it");
  const after = collecting();
  withLibbpfLog(after.sink, () => t.throws(() => BpfObject.open("/nonexistent/after.o", { log: after.sink })));
  t.ok(after.lines.length > 0, "a later sink still receives");
});

t.test("without a sink, libbpf prints nothing on stderr", async (t) => {
  const native = fileURLToPath(new URL("../src/native/index.js", import.meta.url));
  const r = spawnSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `const { BpfObject } = await import(${JSON.stringify(native)}); try { BpfObject.open("/nonexistent/x.o"); } catch (err) { console.log(err.code); }`,
    ],
    { encoding: "utf8" },
  );
  t.equal(r.stdout, "ENOENT\n");
  t.equal(r.stderr, "");
});
