/**
 * Where a shared config may take objects from: resolveWithin follows every
 * symbolic link as the kernel would, and answers undefined for any path
 * that ends outside the roots, whether or not a file is there.
 */
import t from "tap";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// Paths below are written as strings where they hold "..": join() would resolve it by the letters, not by the links.
import { objectRoots, resolveWithin } from "../../src/reconcile/config/object-roots.js";

const top = mkdtempSync(join(tmpdir(), "nfctl-object-roots-"));
t.teardown(() => rmSync(top, { recursive: true, force: true }));
const source = join(top, "source");
const other = join(top, "other");
mkdirSync(join(source, "nfs"), { recursive: true });
mkdirSync(other);
writeFileSync(join(source, "nfs", "counter.o"), "");
writeFileSync(join(other, "evil.o"), "");
symlinkSync(join(other, "evil.o"), join(source, "nfs", "absolute.o"));
symlinkSync("../../other/evil.o", join(source, "nfs", "relative.o"));
symlinkSync(join(other, "nowhere.o"), join(source, "nfs", "dangling.o"));
symlinkSync("counter.o", join(source, "nfs", "alias.o"));
symlinkSync(other, join(source, "out"));
symlinkSync(join(source, "nfs"), join(other, "back"));
symlinkSync("loop-b", join(source, "loop-a"));
symlinkSync("loop-a", join(source, "loop-b"));
const roots = objectRoots([source, join(top, "not-there")]);

t.test("objectRoots keeps the directories that exist, links resolved", async (t) => {
  t.same(roots, [source]);
});

t.test("a path inside, through links that stay inside, is its real path", async (t) => {
  t.equal(resolveWithin(join(source, "nfs", "counter.o"), roots), join(source, "nfs", "counter.o"));
  t.equal(resolveWithin(join(source, "nfs", "alias.o"), roots), join(source, "nfs", "counter.o"), "a link to a neighbour");
  t.equal(resolveWithin(join(source, "out", "back", "counter.o"), roots), join(source, "nfs", "counter.o"), "out and back in: where it ends counts");
  t.equal(resolveWithin(`${source}/out/../source/nfs/counter.o`, roots), join(source, "nfs", "counter.o"), ".. of a link is its target's parent");
  t.equal(resolveWithin(join(source, "nfs", "new.o"), roots), join(source, "nfs", "new.o"), "a missing file inside: opening it says so");
});

t.test("a path that ends outside is refused, whether or not a file is there", async (t) => {
  for (const [what, path] of [
    ["an absolute path", join(other, "evil.o")],
    ["a missing absolute path", join(other, "nowhere.o")],
    ["/etc/shadow", "/etc/shadow"],
    ["..", `${source}/nfs/../../other/evil.o`],
    ["an absolute link", join(source, "nfs", "absolute.o")],
    ["a relative link", join(source, "nfs", "relative.o")],
    ["a dangling link", join(source, "nfs", "dangling.o")],
    ["a linked directory", join(source, "out", "evil.o")],
    // Lexically source/other/evil.o, inside; but .. of a link is its target's parent.
    ["a linked directory, then ..", `${source}/out/../other/evil.o`],
  ] as const) {
    t.equal(resolveWithin(path, roots), undefined, what);
  }
});

t.test("a root's name is not a prefix of another's", async (t) => {
  mkdirSync(`${source}-evil`);
  writeFileSync(join(`${source}-evil`, "x.o"), "");
  t.equal(resolveWithin(join(`${source}-evil`, "x.o"), roots), undefined);
});

t.test("a loop of links is left to the open, which says so", async (t) => {
  t.equal(resolveWithin(join(source, "loop-a"), roots), join(source, "loop-a"));
});

t.test("nothing in a .git directory: git's own files are no commit's files", async (t) => {
  mkdirSync(join(source, ".git", "objects"), { recursive: true });
  mkdirSync(join(source, "sub", ".git"), { recursive: true });
  writeFileSync(join(source, ".git", "objects", "pack.o"), "");
  symlinkSync(join(source, ".git", "objects", "pack.o"), join(source, "nfs", "into-git.o"));
  t.equal(resolveWithin(join(source, ".git", "objects", "pack.o"), roots), undefined, "the checkout's .git");
  t.equal(resolveWithin(join(source, "sub", ".git", "x.o"), roots), undefined, "a nested .git");
  t.equal(resolveWithin(join(source, "nfs", "into-git.o"), roots), undefined, "a link into .git");
  t.equal(resolveWithin(join(source, "nfs", ".gitkeep.o"), roots), join(source, "nfs", ".gitkeep.o"), "a name that only starts with .git");
});
