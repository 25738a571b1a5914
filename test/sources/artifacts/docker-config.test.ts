/**
 * Registry credentials from docker-style config files: the places looked
 * at when none is named, the two ways an entry holds credentials, and the
 * refusals (an unreadable or invalid file, a credential helper), each one
 * line naming the file and never quoting a password.
 */
import t from "tap";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { defaultRegistryConfig, dockerCredentials } from "../../../src/sources/artifacts/docker-config.js";
import { thrownBy as thrown } from "../helpers/artifact-errors.js";
import { tempDir } from "../helpers/temp.js";

const PASSWORD = "pa:ss-w0rd-SECRET";
const auth = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString("base64");

t.test("auth and username/password entries; keys written as URLs; other registries anonymous", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      auths: {
        "127.0.0.1:5000": { auth: auth("ci", PASSWORD) },
        "https://Registry.Example:8443/v1/": { username: "bot", password: "tok" },
      },
    }),
  );
  const credentials = dockerCredentials(file, {});
  t.same(credentials("127.0.0.1:5000"), { username: "ci", password: PASSWORD }, "a password holding ':' is split at the first");
  t.same(credentials("registry.example:8443"), { username: "bot", password: "tok" });
  t.equal(credentials("other.example"), undefined);
});

t.test("the default places, in order; none at all is anonymous", async (t) => {
  const dir = tempDir(t);
  const home = join(dir, "home");
  mkdirSync(join(home, ".docker"), { recursive: true });
  mkdirSync(join(dir, "run", "containers"), { recursive: true });
  mkdirSync(join(dir, "docker-config"));
  const write = (path: string, user: string) => writeFileSync(path, JSON.stringify({ auths: { "reg.example": { auth: auth(user, "x") } } }));
  const env = { HOME: home, XDG_RUNTIME_DIR: join(dir, "run"), DOCKER_CONFIG: join(dir, "docker-config"), REGISTRY_AUTH_FILE: join(dir, "auth.json") };
  t.equal(defaultRegistryConfig(env), undefined);
  t.equal(dockerCredentials(undefined, env)("reg.example"), undefined);
  write(join(dir, "run", "containers", "auth.json"), "podman");
  t.equal(dockerCredentials(undefined, env)("reg.example")?.username, "podman");
  write(join(home, ".docker", "config.json"), "home");
  t.equal(dockerCredentials(undefined, env)("reg.example")?.username, "home");
  write(join(dir, "docker-config", "config.json"), "docker-config");
  t.equal(dockerCredentials(undefined, env)("reg.example")?.username, "docker-config");
  write(join(dir, "auth.json"), "registry-auth-file");
  t.equal(dockerCredentials(undefined, env)("reg.example")?.username, "registry-auth-file");
  t.equal(defaultRegistryConfig(env), join(dir, "auth.json"));
});

t.test("a named file that is missing, not JSON, or not a registry config: one line naming it, never its text", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "config.json");
  t.equal(thrown(() => dockerCredentials(file, {})).message, `the registry config ${file} cannot be read: no such file or directory`);
  t.equal(thrown(() => dockerCredentials(dir, {})).message, `the registry config ${dir} is not a regular file`);
  writeFileSync(file, `{"auths": {"reg.example": {"auth": "${auth("ci", PASSWORD)}"`);
  const invalid = thrown(() => dockerCredentials(file, {}));
  t.equal(invalid.message, `the registry config ${file} is not valid JSON`);
  t.equal(invalid.code, "image-unavailable");
  writeFileSync(file, "[]");
  t.equal(thrown(() => dockerCredentials(file, {})).message, `the registry config ${file} is not a JSON object`);
  writeFileSync(file, JSON.stringify({ auths: { "reg.example": "ci:pw" } }));
  t.equal(thrown(() => dockerCredentials(file, {})).message, `the registry config ${file} has an "auths" that is not an object of objects`);
});

t.test("an entry without usable credentials is refused at lookup, without quoting it", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({ auths: { "reg.example": { auth: Buffer.from(PASSWORD.replace(/:/g, "")).toString("base64") }, "b.example": { email: "x" } } }),
  );
  const credentials = dockerCredentials(file, {});
  const bad = thrown(() => credentials("reg.example"));
  t.equal(bad.message, `the registry config ${file}: the entry of reg.example has an "auth" that is not base64 of "user:password"`);
  t.notMatch(bad.message, /SECRET/);
  t.equal(credentials("b.example"), undefined, "an entry with nothing in it is anonymous");
});

t.test("credentials kept by a credential helper: nfctl runs none, and says so for that registry only", async (t) => {
  const dir = tempDir(t);
  const file = join(dir, "config.json");
  writeFileSync(
    file,
    JSON.stringify({
      auths: { "desktop.example": {}, "inline.example": { auth: auth("ci", "pw") } },
      credsStore: "desktop",
      credHelpers: { "123.dkr.ecr.example": "ecr-login" },
    }),
  );
  const credentials = dockerCredentials(file, {});
  t.equal(
    thrown(() => credentials("123.dkr.ecr.example")).message,
    `the registry config ${file}: the entry of 123.dkr.ecr.example is kept by the credential helper docker-credential-ecr-login (credHelpers), and nfctl runs no credential helper: write its "auth" in a registry config of its own and name it with --registry-config`,
  );
  t.match(thrown(() => credentials("desktop.example")).message, /is kept by the credential helper docker-credential-desktop \(credsStore\)/);
  t.same(credentials("inline.example"), { username: "ci", password: "pw" });
  t.equal(credentials("anonymous.example"), undefined, "a registry with no entry is pulled anonymously, credsStore or not");
});
