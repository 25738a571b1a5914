/**
 * One reconcile of `nfctl watch` refuses a config that takes code from
 * outside its source, before it reads the kernel: whoever writes the
 * watched directory is not trusted with the rest of the machine.
 */
import t from "tap";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { reconcileStep } from "../../src/controller/reconcile-step.js";
import { directorySnapshot } from "../../src/sources/directory.js";
import { codeSourceKey } from "../../src/state/index.js";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";

const top = mkdtempSync(join(tmpdir(), "nfctl-reconcile-step-"));
t.teardown(() => rmSync(top, { recursive: true, force: true }));
const watched = join(top, "config");
const elsewhere = join(top, "elsewhere");
mkdirSync(watched);
mkdirSync(elsewhere);
copyFileSync(join(BUILD, "counter.o"), join(elsewhere, "counter.o"));
writeFileSync(join(watched, "edge.yaml"), configText(hookText("eth1", "xdp", [nfText("counter", join(elsewhere, "counter.o"), "xdp_counter")])));

/** A step of a source shown as `sourcePath`, whose configs here are refused before the kernel. */
const refusingStep = (sourcePath: string) => ({
  // Never reached (the config is refused first), and never a bpffs: a path under a file.
  root: join(watched, "edge.yaml", "bpffs"),
  lockTimeout: 0,
  allowEmpty: false,
  host: { name: "edge-1", labels: {} },
  sourcePath,
  objectPaths: [BUILD],
});

t.test("an object outside the watched directory is ConfigInvalid, with the object's field", async (t) => {
  const { step } = reconcileStep(refusingStep(watched));
  const result = await step(directorySnapshot([watched]));
  t.same(result, {
    result: "refused",
    revision: result.revision,
    reason: "ConfigInvalid",
    message: `${watched}/edge.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: object ${elsewhere}/counter.o is outside this source: a shared config may name objects in its own tree, nfctl's bundled NFs (${BUILD}) or a directory given with --object-path`,
    transient: false,
  });
});

t.test("the loop's ConfigInvalid names a git snapshot's files as REF:path (Snapshot.fileNames), not by the cache", async (t) => {
  const { step } = reconcileStep(refusingStep("https://git.example.com/nfs.git"));
  const result = await step({ ...directorySnapshot([watched]), fileNames: { dir: watched, as: "main:" } });
  t.equal(
    result.result === "refused" && result.message,
    `main:edge.yaml:11:21: spec.interfaces[0].xdp.chain[0].object: object ${elsewhere}/counter.o is outside this source: a shared config may name objects in its own tree, nfctl's bundled NFs (${BUILD}) or a directory given with --object-path`,
  );
});

t.test("a registry out of reach is a transient SourceFailed, retried; an image the registry refuses is ConfigInvalid", async (t) => {
  const dir = join(top, "images");
  mkdirSync(dir);
  writeFileSync(
    join(dir, "edge.yaml"),
    configText(
      hookText("eth1", "xdp", [`          - name: counter\n            image: { ref: reg.example/nfs/counter:v1 }\n            program: xdp_counter\n`]),
    ),
  );
  const answering = (code: "image-unavailable" | "image-signature") =>
    reconcileStep({
      ...refusingStep(dir),
      codeResolver: () => async (sources) =>
        new Map(sources.map((s) => [codeSourceKey(s), { ok: false as const, code, message: `image reg.example/nfs/counter:v1: ${code}` }])),
    });
  const unreachable = await answering("image-unavailable").step(directorySnapshot([dir]));
  t.same(
    { result: unreachable.result, reason: "reason" in unreachable && unreachable.reason, transient: "transient" in unreachable && unreachable.transient },
    { result: "failed", reason: "SourceFailed", transient: true },
  );
  const refused = await answering("image-signature").step(directorySnapshot([dir]));
  t.same(
    { result: refused.result, reason: "reason" in refused && refused.reason, transient: "transient" in refused && refused.transient },
    { result: "refused", reason: "ConfigInvalid", transient: false },
  );
});
