/**
 * The git source's commit signatures, with throw-away gpg keys and local
 * bare repositories: a commit signed by a key of the keyring is checked
 * out, one unsigned or signed by another key is refused before checkout,
 * and no GNUPGHOME or gpg-agent of nfctl's is left behind.
 */
import t from "tap";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SourceError } from "../../src/sources/snapshot.js";
import { gpgKey, headOf, makeRemote, source } from "./helpers/git-fixtures.js";
import { tempDir } from "./helpers/temp.js";

const A = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: a\n";
const B = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: b\n";
const C = "apiVersion: nfctl.io/v1alpha1\nkind: NetworkFunctions\nmetadata:\n  name: c\n";

t.test("signatures: a signed commit is accepted, an unsigned one refused and not checked out", async (t) => {
  const root = tempDir(t);
  const key = gpgKey(t, "nfctl signer <signer@nfctl.invalid>");
  const armored = key.exportTo(join(root, "keys.asc"), true);
  const binary = key.exportTo(join(root, "keys.gpg"), false);
  const remote = makeRemote(t);
  const good = remote.commit({ "a.yaml": A }, { key });
  remote.push("main");
  const snap = source(t, remote);
  const accepted = await snap({ verifySignatures: armored });
  t.equal(accepted.revision, `main@sha1:${good}`);
  t.same(await snap({ verifySignatures: binary }), accepted, "a binary keyring too");

  const unsigned = remote.commit({ "a.yaml": B });
  remote.push("main");
  await t.rejects(
    snap({ verifySignatures: armored }),
    new SourceError("VerificationFailed", `commit ${unsigned.slice(0, 7)} on main of ${remote.url} is not signed`),
  );
  const checkout = accepted.inputs[0]!;
  t.equal(headOf(checkout), good, "the checkout stays at the last good commit");
  t.equal(readFileSync(join(checkout, "a.yaml"), "utf8"), A, "the refused commit's files were never written");
  await t.rejects(snap({ verifySignatures: armored, ref: unsigned }), {
    reason: "VerificationFailed",
    message: `commit ${unsigned.slice(0, 7)} of ${remote.url} is not signed`,
  });

  const fixed = remote.commit({ "a.yaml": C }, { key });
  remote.push("main");
  t.equal((await snap({ verifySignatures: armored })).revision, `main@sha1:${fixed}`);
  t.equal(readFileSync(join(checkout, "a.yaml"), "utf8"), C);
});

t.test("signatures: a commit signed by a key outside the keyring is refused", async (t) => {
  const root = tempDir(t);
  const trusted = gpgKey(t, "nfctl trusted <trusted@nfctl.invalid>");
  const other = gpgKey(t, "nfctl other <other@nfctl.invalid>");
  const keyring = trusted.exportTo(join(root, "keys.gpg"), false);
  const remote = makeRemote(t);
  const good = remote.commit({ "a.yaml": A }, { key: trusted });
  remote.push("main");
  const snap = source(t, remote);
  const accepted = await snap({ verifySignatures: keyring });
  const foreign = remote.commit({ "a.yaml": B }, { key: other });
  remote.push("main");
  const leftBefore = gnupgLeftovers();
  await t.rejects(
    snap({ verifySignatures: keyring }),
    new SourceError(
      "VerificationFailed",
      `commit ${foreign.slice(0, 7)} on main of ${remote.url} is signed by key ${other.keyId} which is not in the keyring ${keyring}`,
    ),
  );
  t.equal(headOf(accepted.inputs[0]!), good);
  t.same(gnupgLeftovers(), leftBefore, "no GNUPGHOME and no gpg-agent of nfctl's is left");
});

t.test("signatures: a keyring that cannot be read or imported", async (t) => {
  const root = tempDir(t);
  const remote = makeRemote(t);
  remote.commit({ "a.yaml": A });
  remote.push("main");
  const snap = source(t, remote);
  const missing = join(root, "nope.gpg");
  await t.rejects(snap({ verifySignatures: missing }), new SourceError("SourceFailed", `cannot read the keyring ${missing}: no such file or directory`));
  const garbage = join(root, "garbage.gpg");
  writeFileSync(garbage, "not a key\n");
  await t.rejects(snap({ verifySignatures: garbage }), { reason: "SourceFailed", message: new RegExp(`^cannot import the keyring ${garbage}: `) });
  t.same(gnupgLeftovers(), { homes: [], agents: [] });
});

/** The throw-away GNUPGHOMEs (nfctl-gnupg-*) still in the temporary directory, and processes that name one. */
function gnupgLeftovers(): { homes: string[]; agents: string[] } {
  const homes = readdirSync(tmpdir()).filter((name) => name.startsWith("nfctl-gnupg-"));
  const agents = readdirSync("/proc")
    .filter((pid) => /^\d+$/.test(pid))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("nfctl-gnupg-");
      } catch {
        return false;
      }
    });
  return { homes, agents };
}
