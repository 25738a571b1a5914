/**
 * The git source over ssh, as users reach their repositories: Debian's
 * sshd on 127.0.0.1 (helpers/servers.ts), a key the server accepts given
 * with GIT_SSH_COMMAND and its host key pinned in a known_hosts file. The
 * source and `nfctl plan --git ssh://...` (as an unprivileged user) read a
 * bare repository; a key the server refuses is one line and exit 1.
 */
import t, { type Test } from "tap";
import { join } from "node:path";
import { gitSnapshot } from "../../src/sources/git.js";
import { SourceError } from "../../src/sources/snapshot.js";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";
import { actionsOf, handOver, nfctl, planOf } from "../offline/helpers/unprivileged.js";
import { makeRemote } from "./helpers/git-fixtures.js";
import { sshServer } from "./helpers/servers.js";
import { tempDir } from "./helpers/temp.js";

const CONFIG = configText(hookText("eth1", "xdp", [nfText("counter", join(BUILD, "counter.o"), "xdp_counter")]));

/** A repository whose main holds hosts/edge.yaml, and an sshd that serves it. */
async function served(t: Test) {
  const remote = makeRemote(t);
  const sha = remote.commit({ "hosts/edge.yaml": CONFIG });
  remote.push("main");
  const server = await sshServer(t);
  const url = server.url(remote);
  // Messages and records show a URL without its user info (a user is often a token): redactUrl.
  return { remote, sha, server, url, shown: url.replace("ssh://root@", "ssh://***@") };
}

/** Runs `fn` with GIT_SSH_COMMAND set in this process's environment (where nfctl's git source reads it). */
async function withSshCommand<T>(command: string, fn: () => Promise<T>): Promise<T> {
  process.env.GIT_SSH_COMMAND = command;
  try {
    return await fn();
  } finally {
    delete process.env.GIT_SSH_COMMAND;
  }
}

t.test("the git source reads a repository over ssh with the key of GIT_SSH_COMMAND", async (t) => {
  const { server, url, sha } = await served(t);
  const cacheDir = tempDir(t, "nfctl-test-cache-");
  const snapshot = await withSshCommand(server.sshCommand(), () => gitSnapshot({ url, path: "hosts", cacheDir, timeoutMs: 30_000 }));
  t.equal(snapshot.revision, `main@sha1:${sha}`);
  t.equal(snapshot.inputs.length, 1);
});

t.test("nfctl plan --git ssh://: the plan of the commit, and a refused key in one line", async (t) => {
  const { server, url, shown, sha } = await served(t);
  const home = tempDir(t, "nfctl-test-home-");
  const cache = join(home, "cache");
  handOver(home);
  handOver(server.client);
  const plan = (sshCommand: string, ...extra: string[]) =>
    nfctl(["plan", "--offline", "--git", url, "--path", "hosts", "--cache-dir", cache, ...extra], { env: { GIT_SSH_COMMAND: sshCommand } });

  const r = plan(server.sshCommand(), "-o", "json");
  t.equal(r.stderr, "");
  t.equal(r.code, 0);
  const planned = planOf(r.stdout);
  t.same(planned.source, { path: shown, revision: `main@sha1:${sha}` });
  t.same(actionsOf(planned), [["eth1/xdp", "create", ["start counter"]]]);

  const refused = plan(server.sshCommand({ wrongKey: true }));
  t.equal(refused.stderr, `nfctl: cannot list the HEAD of ${shown}: root@127.0.0.1: Permission denied (publickey).\n`);
  t.equal(refused.code, 1);
  t.equal(refused.stdout, "");
});

t.test("a refused key or an unknown host key: ssh's reason, in one line", async (t) => {
  const { server, url, shown } = await served(t);
  const cacheDir = tempDir(t, "nfctl-test-cache-");
  await t.rejects(
    withSshCommand(server.sshCommand({ wrongKey: true }), () => gitSnapshot({ url, cacheDir, timeoutMs: 30_000 })),
    new SourceError("SourceFailed", `cannot list the HEAD of ${shown}: root@127.0.0.1: Permission denied (publickey).`),
  );
  // A host key other than the one pinned: ssh refuses the server before any key is offered.
  const unknownHost = server.sshCommand().replace(/UserKnownHostsFile=\S+/, "UserKnownHostsFile=/dev/null");
  await t.rejects(
    withSshCommand(unknownHost, () => gitSnapshot({ url, cacheDir, timeoutMs: 30_000 })),
    new SourceError("SourceFailed", `cannot list the HEAD of ${shown}: Host key verification failed.`),
  );
});
