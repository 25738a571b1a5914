/**
 * The watch loop makes a resolver for every reconcile: the connections it
 * opens to a registry are pooled for the process, so the descriptors
 * nfctl holds do not grow with the number of reconciles (with a pool per
 * resolver, 40 resolves of two images left 82 more descriptors open).
 */
import t from "tap";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { BUILD } from "../../../scripts/nfs.js";
import { buildBpfmanImage } from "../../../src/sources/artifacts/build-image.js";
import { dockerCredentials } from "../../../src/sources/artifacts/docker-config.js";
import { pushImage } from "../../../src/sources/artifacts/push-image.js";
import { parseImageReference } from "../../../src/sources/artifacts/reference.js";
import { registryClient } from "../../../src/sources/artifacts/registry.js";
import { codeResolver } from "../../../src/sources/artifacts/resolve.js";
import type { CodeSource } from "../../../src/state/index.js";
import { startRegistry } from "../helpers/registry.js";
import { tempDir } from "../helpers/temp.js";

const openDescriptors = () => readdirSync("/proc/self/fd").length;

t.test("a resolver a reconcile leaves the descriptors as they were", async (t) => {
  const registry = await startRegistry(t);
  const options = { ca: registry.ca, credentials: dockerCredentials(registry.authFile) };
  const client = registryClient(options);
  const sources: CodeSource[] = [];
  for (const nf of ["counter", "blocklist"]) {
    const ref = `${registry.host}/nfs/${nf}:v1`;
    await pushImage(client, parseImageReference(ref), await buildBpfmanImage(join(BUILD, `${nf}.o`)));
    sources.push({ kind: "image", ref, pullPolicy: "IfNotPresent" });
  }
  const cacheDir = tempDir(t, "nfctl-connections-");
  const resolveOnce = async () => {
    const answers = await codeResolver({ cacheDir, registry: options })(sources);
    for (const answer of answers.values()) if (!answer.ok) throw new Error(answer.message);
  };
  await resolveOnce();
  const before = openDescriptors();
  for (let i = 0; i < 40; i++) await resolveOnce();
  const after = openDescriptors();
  t.ok(after - before <= 4, `descriptors before ${before}, after 40 more resolves ${after}`);
});
