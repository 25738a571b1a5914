/**
 * The git source over https, as users reach their repositories: git's own
 * http-backend behind Debian's lighttpd on 127.0.0.1 (helpers/servers.ts),
 * TLS with a self-signed certificate trusted through GIT_SSL_CAINFO, and
 * basic auth. Credentials come as users give them: in the URL
 * (https://user:token@host/...) or from a credential helper in git's
 * config environment. Wrong ones are one line and exit 1, and the token
 * never appears in what nfctl prints.
 */
import t, { type Test } from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUILD, configText, hookText, nfText } from "../config/helpers/configs.js";
import { actionsOf, handOver, nfctl, planOf } from "../offline/helpers/unprivileged.js";
import { makeRemote } from "./helpers/git-fixtures.js";
import { httpsServer } from "./helpers/servers.js";
import { tempDir } from "./helpers/temp.js";

const USER = "ci";
const TOKEN = "glpat-s3cr3t-T0KEN";
const CONFIG = configText(hookText("eth1", "xdp", [nfText("counter", join(BUILD, "counter.o"), "xdp_counter")]));

/** A repository served over https, a cache and a credentials file for nfctl's user, and `plan` to run it. */
async function served(t: Test) {
  const remote = makeRemote(t);
  const sha = remote.commit({ "hosts/edge.yaml": CONFIG });
  remote.push("main");
  const server = await httpsServer(t, remote, USER, TOKEN);
  const home = tempDir(t, "nfctl-test-home-");
  const cache = join(home, "cache");
  const run = (command: string[], url: string, extra: string[], env: Record<string, string>) =>
    nfctl([...command, "--git", url, "--path", "hosts", "--cache-dir", cache, ...extra], { env: { GIT_SSL_CAINFO: server.ca, ...env } });
  const plan = (url: string, extra: string[] = [], env: Record<string, string> = {}) => run(["plan", "--offline"], url, extra, env);
  const validate = (url: string, extra: string[] = [], env: Record<string, string> = {}) => run(["validate"], url, extra, env);
  /** A credential helper's store file holding `password`, and the environment that names it (as a DaemonSet would). */
  const helper = (password: string): Record<string, string> => {
    const file = join(home, `credentials-${password}`);
    writeFileSync(file, `https://${USER}:${password}@127.0.0.1:${server.port}\n`, { mode: 0o600 });
    handOver(home);
    return { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "credential.helper", GIT_CONFIG_VALUE_0: `store --file=${file}` };
  };
  handOver(home);
  return { server, sha, plan, validate, helper };
}

/** stdout and stderr of a run, for the checks that the token is in neither. */
const printed = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr;

t.test("https with the token in the URL: the plan of the commit; the token is nowhere in what nfctl prints", async (t) => {
  const { server, sha, plan, validate } = await served(t);
  const url = server.url(`${USER}:${TOKEN}`);
  const shown = server.url("***");
  const json = plan(url, ["-o", "json"]);
  t.equal(json.stderr, "");
  t.equal(json.code, 0);
  const planned = planOf(json.stdout);
  t.same(planned.source, { path: shown, revision: `main@sha1:${sha}` }, "the URL recorded without its credentials");
  t.same(actionsOf(planned), [["eth1/xdp", "create", ["start counter"]]]);
  const text = plan(url, ["--log-level", "debug"]);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, /\+ start +counter/);
  const validated = validate(url, ["--log-level", "debug"]);
  t.equal(validated.code, 0, validated.stderr);
  const validatedJson = validate(url, ["-o", "json"]);
  t.equal(validatedJson.code, 0, validatedJson.stderr);
  for (const [what, r] of [
    ["plan -o json", json],
    ["plan --log-level debug", text],
    ["validate --log-level debug", validated],
    ["validate -o json", validatedJson],
  ] as const)
    t.notOk(printed(r).includes(TOKEN), `${what}: no token`);
});

t.test("https with a credential helper (git's config in the environment): the plan of the commit", async (t) => {
  const { server, sha, plan, helper } = await served(t);
  const r = plan(server.url(), ["-o", "json"], helper(TOKEN));
  t.equal(r.stderr, "");
  t.equal(r.code, 0);
  t.same(planOf(r.stdout).source, { path: server.url(), revision: `main@sha1:${sha}` });
});

t.test("wrong or missing credentials, or an untrusted certificate: one line, exit 1, no token", async (t) => {
  const { server, plan, validate, helper } = await served(t);
  const wrong = "wr0ng-T0KEN";
  const cases: Array<[string, ReturnType<typeof plan>, string]> = [
    [
      "a wrong token in the URL",
      plan(server.url(`${USER}:${wrong}`)),
      `cannot list the HEAD of ${server.url("***")}: the server refused the credentials of the URL`,
    ],
    [
      "a wrong token from the helper",
      plan(server.url(), [], helper(wrong)),
      `cannot list the HEAD of ${server.url()}: Authentication failed for '${server.url()}/'`,
    ],
    [
      "no credentials",
      plan(server.url()),
      `cannot list the HEAD of ${server.url()}: could not read Username for 'https://127.0.0.1:${server.port}': terminal prompts disabled: the server asks for credentials; give them with a credential helper or in the URL (README.md, "Git credentials")`,
    ],
    [
      "a certificate git does not trust",
      plan(server.url(`${USER}:${TOKEN}`), [], { GIT_SSL_CAINFO: "/etc/ssl/certs/ca-certificates.crt" }),
      `cannot list the HEAD of ${server.url("***")}: unable to access '${server.url()}/': server certificate verification failed. CAfile: /etc/ssl/certs/ca-certificates.crt CRLfile: none`,
    ],
  ];
  for (const [what, r, message] of cases) {
    t.equal(r.stderr, `nfctl: ${message}\n`, what);
    t.equal(r.code, 1, what);
    t.equal(r.stdout, "", what);
    t.notOk(printed(r).includes(TOKEN) || printed(r).includes(wrong), `${what}: no token`);
  }
  const refused = validate(server.url(`${USER}:${wrong}`), ["-o", "json"]);
  t.equal(refused.code, 1);
  t.match(refused.stdout, /"kind": "Error"/, "validate -o json: the refusal as a JSON error document");
  t.notOk(printed(refused).includes(wrong), "validate -o json of a refused token: no token");
  // The debug log holds the whole error, git's stderr with it.
  const logged = plan(server.url(`${USER}:${wrong}`), ["--log-level", "debug"]);
  t.match(logged.stderr, /"msg":"command failed"/);
  t.notOk(printed(logged).includes(wrong), "the debug log of a refused token: no token");
});
