/**
 * The registry flags (src/cli/registry-options.ts): --insecure-registry
 * takes a host as image references name it, and the CA file and the verify
 * key are read up front, a typo being one line that names the flag and the file.
 */
import t from "tap";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { InvalidArgumentError } from "commander";
import { insecureRegistry, resolveOptionsFrom } from "../../src/cli/registry-options.js";

const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n";

t.test("--insecure-registry: HOST or HOST:PORT, repeatable; a URL or a path is refused", async (t) => {
  t.same(
    ["localhost:5000", "registry.example", "127.0.0.1:5000", "[::1]:5000"].reduce<string[]>((all, host) => insecureRegistry(host, all), []),
    ["localhost:5000", "registry.example", "127.0.0.1:5000", "[::1]:5000"],
  );
  for (const bad of ["http://localhost:5000", "localhost:5000/nfs", "", "-x"]) {
    t.throws(
      () => insecureRegistry(bad),
      new InvalidArgumentError(`"${bad}" is not HOST or HOST:PORT, as image references name a registry (no scheme, no path)`),
      bad,
    );
  }
});

t.test("an unreadable or wrong --ca-file or --verify-key: one line naming the flag and the file", async (t) => {
  const dir = t.testdir({ "ca.pem": CA, "key.pub": KEY, "notes.txt": "hello\n" });
  const context = { cacheDir: join(dir, "cache") };
  t.throws(() => resolveOptionsFrom({ caFile: join(dir, "nope.pem") }, context), { message: `--ca-file ${join(dir, "nope.pem")}: no such file or directory` });
  t.throws(() => resolveOptionsFrom({ caFile: join(dir, "notes.txt") }, context), {
    message: `--ca-file ${join(dir, "notes.txt")} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
  });
  t.throws(() => resolveOptionsFrom({ verifyKey: join(dir, "nope.pub") }, context), {
    message: `--verify-key ${join(dir, "nope.pub")}: no such file or directory`,
  });
  t.throws(() => resolveOptionsFrom({ verifyKey: join(dir, "ca.pem") }, context), {
    message: `--verify-key ${join(dir, "ca.pem")} holds no PEM public key (-----BEGIN PUBLIC KEY-----)`,
  });
});

t.test("the resolver's options: the CA's text, the insecure hosts, the key's path, the command's cache and mode", async (t) => {
  const dir = t.testdir({ "ca.pem": CA, "key.pub": KEY });
  const auth = join(dir, "config.json");
  writeFileSync(auth, JSON.stringify({ auths: {} }));
  const options = resolveOptionsFrom(
    { caFile: join(dir, "ca.pem"), insecureRegistry: ["localhost:5000"], verifyKey: join(dir, "key.pub"), registryConfig: auth },
    { cacheDir: "/var/cache/nfctl", offline: true, roots: ["/srv/config"] },
  );
  const { credentials, ...registry } = options.registry;
  t.same(
    { ...options, registry },
    {
      cacheDir: "/var/cache/nfctl",
      offline: true,
      roots: ["/srv/config"],
      verifyKey: join(dir, "key.pub"),
      registry: { ca: CA, insecureRegistries: ["localhost:5000"] },
    },
  );
  t.type(credentials, "function");
});
