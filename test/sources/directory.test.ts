/**
 * The directory source without a kernel: snapshots and their digests, a
 * ConfigMap volume updated as kubelet does it, and the debounced watch.
 */
import t from "tap";
import { mkdirSync, realpathSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { RECHECK_MS, directorySnapshot, watchPaths } from "../../src/sources/directory.js";
import { SourceError } from "../../src/sources/snapshot.js";
import { sleep, tempDir, waitFor, type Teardown } from "./helpers/temp.js";

const A = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: a\n";
const B = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: b\n";

/** A ConfigMap volume as kubelet lays it out, with `files` in its first `..<timestamp>` directory. */
function configMapVolume(dir: string, stamp: string, files: Record<string, string>): void {
  mkdirSync(join(dir, stamp));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, stamp, name), text);
  symlinkSync(stamp, join(dir, "..data"));
  for (const name of Object.keys(files)) symlinkSync(join("..data", name), join(dir, name));
}

/** An update exactly as kubelet's atomic writer makes it: new directory, ..data_tmp symlink, renamed over ..data, old directory removed. */
function configMapUpdate(dir: string, oldStamp: string, stamp: string, files: Record<string, string>): void {
  mkdirSync(join(dir, stamp));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, stamp, name), text);
  symlinkSync(stamp, join(dir, "..data_tmp"));
  renameSync(join(dir, "..data_tmp"), join(dir, "..data"));
  rmSync(join(dir, oldStamp), { recursive: true });
}

/**
 * A second watch of all of `dir`, for a test that a watch does not fire:
 * once this one has fired, chokidar has reported the writes (to both), and
 * with a longer debounce, the watch under test has had the time to fire.
 */
function witness(t: Teardown, dir: string, debounceMs: number): { ready: Promise<void>; fired: () => number } {
  let fired = 0;
  const watch = watchPaths([dir], () => fired++, { debounceMs });
  t.teardown(() => watch.close());
  return { ready: watch.ready, fired: () => fired };
}

t.test("a directory's digest is stable, independent of order, and over *.yaml and *.yml only", async (t) => {
  const root = tempDir(t);
  const one = join(root, "one");
  const two = join(root, "two");
  mkdirSync(one);
  mkdirSync(two);
  // Written in the reverse order of their names.
  writeFileSync(join(one, "b.yml"), B);
  writeFileSync(join(one, "a.yaml"), A);
  writeFileSync(join(two, "c.yaml"), A);
  const first = directorySnapshot([one, two]);
  t.match(first.digest, /^[0-9a-f]{64}$/);
  t.equal(first.revision, `sha256:${first.digest}`);
  t.same(first.inputs, [one, two]);
  t.equal(directorySnapshot([one, two]).digest, first.digest, "again, the same digest");
  t.equal(directorySnapshot([two, one]).digest, first.digest, "the inputs in the other order");
  t.equal(directorySnapshot([join(one, "a.yaml"), join(one, "b.yml"), two]).digest, first.digest, "the files named one by one");
  t.equal(directorySnapshot([one, join(one, "a.yaml"), two]).digest, first.digest, "a file reached twice counts once");

  writeFileSync(join(one, "notes.txt"), "not a config");
  mkdirSync(join(one, "sub.yaml"));
  writeFileSync(join(one, "sub.yaml", "x.yaml"), B);
  t.equal(directorySnapshot([one, two]).digest, first.digest, "other files and subdirectories do not count");
});

t.test("the digest changes with content and comes back with it", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  const before = directorySnapshot([dir]).digest;
  writeFileSync(join(dir, "a.yaml"), B);
  const changed = directorySnapshot([dir]).digest;
  t.not(changed, before);
  writeFileSync(join(dir, "a.yaml"), A);
  t.equal(directorySnapshot([dir]).digest, before);
  // The same bytes under another name are another snapshot.
  rmSync(join(dir, "a.yaml"));
  writeFileSync(join(dir, "b.yaml"), A);
  t.not(directorySnapshot([dir]).digest, before);
  // Nor do two files' contents run together: "ab" + "" is not "a" + "b".
  writeFileSync(join(dir, "b.yaml"), "ab");
  writeFileSync(join(dir, "c.yaml"), "");
  const split = directorySnapshot([dir]).digest;
  writeFileSync(join(dir, "b.yaml"), "a");
  writeFileSync(join(dir, "c.yaml"), "b");
  t.not(directorySnapshot([dir]).digest, split);
});

t.test("inputs are resolved through symlinks", async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, "real"));
  writeFileSync(join(root, "real", "a.yaml"), A);
  symlinkSync("real", join(root, "link"));
  const snapshot = directorySnapshot([join(root, "link")]);
  t.same(snapshot.inputs, [join(root, "real")]);
  t.equal(snapshot.digest, directorySnapshot([join(root, "real")]).digest);
});

t.test("paths that cannot be read are SourceErrors that name them", async (t) => {
  const dir = tempDir(t);
  t.throws(() => directorySnapshot([join(dir, "nope")]), new SourceError("SourceFailed", `cannot read ${join(dir, "nope")}: no such file or directory`));
  t.throws(() => directorySnapshot([]), { name: "SourceError", reason: "SourceFailed", message: "no config path given; name a directory or a file" });
  symlinkSync("gone.yaml", join(dir, "broken.yaml"));
  t.throws(() => directorySnapshot([dir]), { reason: "SourceFailed", message: `cannot read ${join(dir, "broken.yaml")}: no such file or directory` });
  t.throws(() => watchPaths([join(dir, "nope")], () => {}, { debounceMs: 10 }), {
    reason: "SourceFailed",
    message: `cannot read ${join(dir, "nope")}: no such file or directory`,
  });
});

t.test("a ConfigMap volume: the ..data swap is seen by the watch and changes the digest", async (t) => {
  const dir = tempDir(t);
  configMapVolume(dir, "..2026_12_01_10_00_00.000000001", { "nf.yaml": A, "other.yaml": A });
  const before = directorySnapshot([dir]);
  t.same(before.inputs, [dir]);
  const fileBefore = directorySnapshot([join(dir, "nf.yaml")]);
  t.same(fileBefore.inputs, [realpathSync(join(dir, "..2026_12_01_10_00_00.000000001", "nf.yaml"))], "a file argument resolves into ..data's target");

  let dirChanges = 0;
  let fileChanges = 0;
  const dirWatch = watchPaths([dir], () => dirChanges++, { debounceMs: 50 });
  const fileWatch = watchPaths([join(dir, "nf.yaml")], () => fileChanges++, { debounceMs: 50 });
  t.teardown(() => Promise.all([dirWatch.close(), fileWatch.close()]));
  await Promise.all([dirWatch.ready, fileWatch.ready]);

  const started = Date.now();
  configMapUpdate(dir, "..2026_12_01_10_00_00.000000001", "..2026_12_01_10_05_00.000000002", { "nf.yaml": B, "other.yaml": A });
  await waitFor(() => dirChanges > 0 && fileChanges > 0, 5000, "both watches to see the swap");
  t.ok(Date.now() - started < 5000, `seen after ${Date.now() - started} ms`);
  const after = directorySnapshot([dir]);
  t.not(after.digest, before.digest);
  t.same(after.inputs, [dir]);
  t.not(directorySnapshot([join(dir, "nf.yaml")]).digest, fileBefore.digest);

  // A swap to the same content (kubelet re-syncing) is another directory, not another digest.
  const seen = dirChanges;
  configMapUpdate(dir, "..2026_12_01_10_05_00.000000002", "..2026_12_01_10_10_00.000000003", { "nf.yaml": B, "other.yaml": A });
  await waitFor(() => dirChanges > seen, 5000, "the watch to see the second swap");
  t.equal(directorySnapshot([dir]).digest, after.digest);
});

t.test("a burst of writes is one onChange", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  let changes = 0;
  const watch = watchPaths([dir], () => changes++, { debounceMs: 300 });
  t.teardown(() => watch.close());
  await watch.ready;
  for (let i = 0; i < 20; i++) {
    writeFileSync(join(dir, "a.yaml"), `${A}# write ${i}\n`);
    await sleep(5);
  }
  await waitFor(() => changes > 0, 5000, "the burst to trigger onChange");
  await sleep(800);
  t.equal(changes, 1, "20 writes, one onChange");
});

t.test("a write within chokidar's 50 ms throttle of the one before is read by onSettled", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  const reads: Array<{ by: string; digest: string }> = [];
  const read = (by: string) => reads.push({ by, digest: directorySnapshot([dir]).digest });
  const watch = watchPaths([dir], () => read("onChange"), { debounceMs: 1, onSettled: () => read("onSettled") });
  t.teardown(() => watch.close());
  await watch.ready;
  writeFileSync(join(dir, "a.yaml"), B);
  await sleep(20);
  writeFileSync(join(dir, "a.yaml"), `${B}# the second write\n`);
  await waitFor(() => reads.some((r) => r.by === "onSettled"), 5000, "onSettled after the writes");
  await sleep(RECHECK_MS * 3);
  const last = reads[reads.length - 1]!;
  t.equal(last.by, "onSettled", "onSettled is the last call, after onChange");
  t.equal(last.digest, directorySnapshot([dir]).digest, "and it reads the second write, which chokidar may not report");
  t.ok(reads.length <= 4, `no more calls than the two writes and their rechecks (${reads.map((r) => r.by).join(", ")})`);
});

t.test("onSettled waits while events keep coming, and not at all after close()", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  let changes = 0;
  let settled = 0;
  const watch = watchPaths([dir], () => changes++, { debounceMs: 1, onSettled: () => settled++ });
  await watch.ready;
  for (let i = 0; i < 10; i++) {
    writeFileSync(join(dir, "a.yaml"), `${A}# write ${i}\n`);
    await sleep(RECHECK_MS / 3);
  }
  await waitFor(() => settled > 0, 5000, "onSettled once the writes stop");
  t.ok(settled <= 3, `events ${RECHECK_MS / 3} ms apart postpone the recheck (${settled} rechecks for 10 writes)`);
  const seen = changes;
  writeFileSync(join(dir, "a.yaml"), B);
  // Its onSettled is now due, RECHECK_MS after: close() must cancel it.
  await waitFor(() => changes > seen, 5000, "onChange for the last write");
  const before = settled;
  await watch.close();
  await sleep(RECHECK_MS * 3);
  t.equal(settled, before, "no onSettled after close()");
});

t.test("a file argument watches its directory, filtered to that file", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  writeFileSync(join(dir, "b.yaml"), B);
  let changes = 0;
  const watch = watchPaths([join(dir, "a.yaml")], () => changes++, { debounceMs: 20 });
  t.teardown(() => watch.close());
  const all = witness(t, dir, 200);
  await Promise.all([watch.ready, all.ready]);
  writeFileSync(join(dir, "b.yaml"), A);
  await waitFor(() => all.fired() > 0, 5000, "the unfiltered watch to see b.yaml written");
  const before = all.fired();
  writeFileSync(join(dir, "c.yaml"), A);
  await waitFor(() => all.fired() > before, 5000, "the unfiltered watch to see c.yaml made");
  t.equal(changes, 0, "other files of the directory do not trigger");
  // Replaced by rename, as editors save: a watch on the file itself would lose it here.
  writeFileSync(join(dir, ".a.yaml.tmp"), B);
  renameSync(join(dir, ".a.yaml.tmp"), join(dir, "a.yaml"));
  await waitFor(() => changes > 0, 5000, "the rename over a.yaml to trigger");
  await sleep(200);
  const seen = changes;
  writeFileSync(join(dir, "a.yaml"), A);
  await waitFor(() => changes > seen, 5000, "a write to a.yaml to trigger");
});

t.test("dot entries are seen in a watched directory", async (t) => {
  const dir = tempDir(t);
  let changes = 0;
  const watch = watchPaths([dir], () => changes++, { debounceMs: 20 });
  t.teardown(() => watch.close());
  await watch.ready;
  writeFileSync(join(dir, ".hidden.yaml"), A);
  await waitFor(() => changes > 0, 5000, "a dot file to trigger");
});

t.test("close() stops the events, even one already debouncing", async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.yaml"), A);
  let changes = 0;
  const watch = watchPaths([dir], () => changes++, { debounceMs: 200 });
  const quick = witness(t, dir, 0);
  const slow = witness(t, dir, 400);
  await Promise.all([watch.ready, quick.ready, slow.ready]);
  writeFileSync(join(dir, "a.yaml"), B);
  // Seen by the watch too, whose 200 ms have not passed.
  await waitFor(() => quick.fired() > 0, 5000, "a watch without debounce to see the write");
  await watch.close();
  const seen = quick.fired();
  writeFileSync(join(dir, "a.yaml"), A);
  writeFileSync(join(dir, "b.yaml"), A);
  await waitFor(() => quick.fired() > seen && slow.fired() > 0, 5000, "the other watches to see the writes after close(), and to fire after 400 ms");
  t.equal(changes, 0);
});

t.test("debounceMs is checked", async (t) => {
  const dir = tempDir(t);
  t.throws(() => watchPaths([dir], () => {}, { debounceMs: -1 }), new RangeError("debounceMs must be a number of milliseconds >= 0, not -1"));
});

t.test("a directory without config files is a snapshot of nothing, not an error", async (t) => {
  const root = tempDir(t);
  const empty = join(root, "empty");
  const full = join(root, "full");
  mkdirSync(empty);
  mkdirSync(full);
  mkdirSync(join(root, "other"));
  writeFileSync(join(empty, "README.md"), "not a config\n");
  writeFileSync(join(full, "a.yaml"), A);
  const nothing = directorySnapshot([empty]);
  t.same(nothing.inputs, [], "no input to load");
  t.equal(nothing.digest, directorySnapshot([join(root, "other")]).digest, "the digest of no file");
  t.same(directorySnapshot([empty, full]).inputs, [realpathSync(full)], "only the directory that holds config is an input");
});

t.test("a snapshot over a limit of config-limits.ts is refused in one line naming the file and the limit", async (t) => {
  const dir = tempDir(t, "nfctl-test-limits-");
  writeFileSync(join(dir, "a.yaml"), A);
  writeFileSync(join(dir, "big.yaml"), `${A}#${"x".repeat(768 * 1024)}\n`);
  t.throws(() => directorySnapshot([dir]), {
    name: "SourceError",
    reason: "SourceFailed",
    message: `${join(realpathSync(dir), "big.yaml")}: the file is larger than 768 KiB, the most nfctl reads of one config file`,
  });
  rmSync(join(dir, "big.yaml"));
  for (let i = 0; i < 128; i++) writeFileSync(join(dir, `f${String(i).padStart(3, "0")}.yaml`), A);
  t.throws(() => directorySnapshot([dir]), {
    message: `${join(realpathSync(dir), "f127.yaml")}: the config has more than 128 files with this one, the most nfctl reads of one config`,
  });
});
