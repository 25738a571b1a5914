/**
 * A git URL's secrets: redactUrl hides every form of them (user info of any
 * scheme, a password holding "@", query values, fragments), and gitRemote
 * moves an https URL's credentials out of the URL into git's environment.
 */
import t from "tap";
import { gitRemote, redactUrl } from "../../src/sources/git-url.js";

t.test("redactUrl hides user info, query values and fragments, and nothing else", async (t) => {
  const cases: [string, string][] = [
    ["https://example.com/org/r.git", "https://example.com/org/r.git"],
    ["https://token@example.com/r.git", "https://***@example.com/r.git"],
    ["https://user:secret@example.com/r.git", "https://***@example.com/r.git"],
    ["HTTPS://user:secret@example.com/r.git", "HTTPS://***@example.com/r.git"],
    ["https://u:p@ss@example.com/r.git", "https://***@example.com/r.git"],
    ["https://u:p/ss@example.com/r.git", "https://***@example.com/r.git"],
    ["https://u:p%40ss@[::1]:8443/r.git", "https://***@[::1]:8443/r.git"],
    ["http://user:secret@example.com/r.git", "http://***@example.com/r.git"],
    ["ssh://git:secret@example.com/r.git", "ssh://***@example.com/r.git"],
    ["ssh://git@example.com:2222/r.git", "ssh://***@example.com:2222/r.git"],
    ["git+ssh://git:secret@example.com/r.git", "git+ssh://***@example.com/r.git"],
    ["https://example.com/r.git?private_token=secret", "https://example.com/r.git?private_token=***"],
    ["https://example.com/r.git?ref=main&access_token=secret&X-Amz-Signature=abc", "https://example.com/r.git?ref=***&access_token=***&X-Amz-Signature=***"],
    ["https://example.com/r.git?secret", "https://example.com/r.git?***"],
    ["https://example.com/r.git?a=1#access_token=secret", "https://example.com/r.git?a=***#***"],
    ["https://example.com/r.git#secret", "https://example.com/r.git#***"],
    ["https://u:p@example.com/r.git?token=t&", "https://***@example.com/r.git?token=***&"],
    ["https://example.com/r.git?x=1@evil", "https://example.com/r.git?x=***"],
    ["git@example.com:org/r.git", "git@example.com:org/r.git"],
    ["user:pass@example.com:org/r.git", "user:***@example.com:org/r.git"],
    ["user:p@ss@example.com:org/r.git", "user:***@example.com:org/r.git"],
    ["file:///srv/r.git", "file:///srv/r.git"],
    ["/srv/r.git", "/srv/r.git"],
    ["/srv/a:b@c/r.git", "/srv/a:b@c/r.git"],
    ["", ""],
  ];
  for (const [url, shown] of cases) t.equal(redactUrl(url), shown, url);
});

t.test("gitRemote: an https URL's credentials leave the URL for git's environment", async (t) => {
  const header = (credentials: string) => ({
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.extraHeader",
    GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(credentials).toString("base64")}`,
  });
  const cases: [string, string, Record<string, string>][] = [
    ["https://ci:secret@example.com/org/r.git", "https://example.com/org/r.git", header("ci:secret")],
    ["https://token@example.com/r.git", "https://example.com/r.git", header("token:")],
    ["https://u:p%40ss%2Fw@[::1]:8443/r.git", "https://[::1]:8443/r.git", header("u:p@ss/w")],
    ["HTTPS://u:p@ss@example.com/r@1.git", "HTTPS://example.com/r@1.git", header("u:p@ss")],
    ["https://example.com/r.git", "https://example.com/r.git", {}],
    ["https://example.com/org@2/r.git", "https://example.com/org@2/r.git", {}],
    ["ssh://git@example.com/r.git", "ssh://git@example.com/r.git", {}],
    ["git@example.com:org/r.git", "git@example.com:org/r.git", {}],
    ["file:///srv/r.git", "file:///srv/r.git", {}],
    ["/srv/r.git", "/srv/r.git", {}],
  ];
  for (const [url, given, env] of cases) t.same(gitRemote(url), { url: given, env }, url);
});
