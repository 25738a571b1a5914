/**
 * The config the hosts are assumed converged on, for `nfctl plan --base-ref
 * REF` ("what does this pull request change against main"): with --git,
 * the repository's config at REF (the same --path); with -f, the same paths
 * in the git work tree they lie in, at REF. An object that the tree at REF
 * lacks (objects are built, not committed) is the work tree's, at the same
 * place.
 */
import { loadDesiredYielding, type DesiredState } from "../reconcile/index.js";
import type { TreeAtRevision } from "../sources/work-tree.js";
import { codeResolverOf, loadSourceConfig, type LoadContext, type SourceFlags } from "./config-source.js";

export async function loadBaseConfig(flags: SourceFlags, ref: string, context: LoadContext): Promise<DesiredState> {
  if (flags.git !== undefined) return loadSourceConfig({ ...flags, ref }, context);
  const { offline, ...options } = context;
  // Imported here: the git source loads simple-git, which a plan without --base-ref or --git does not need.
  const { withTreeAt } = await import("../sources/work-tree.js");
  return withTreeAt(flags.file ?? [], ref, { timeoutMs: flags.gitTimeout }, async (tree) => {
    const base = await loadDesiredYielding(tree.inputs, {
      ...options,
      resolveCode: codeResolverOf(flags, { ...(offline && { offline }) }),
      source: { path: tree.top, revision: tree.revision },
      objectFallback: { tree: tree.dir, fallback: tree.top },
      // Named as git does, REF:path, rather than by the temporary export.
      fileNames: { dir: tree.dir, as: `${ref}:` },
    });
    return inWorkTree(base, tree);
  });
}

/** `base` with its objects named by their places in the work tree: the export is gone once the plan is made, and a plan shows where an object moved. */
function inWorkTree(base: DesiredState, tree: TreeAtRevision): DesiredState {
  const moved = (path: string) => (path.startsWith(`${tree.dir}/`) ? `${tree.top}${path.slice(tree.dir.length)}` : path);
  return { ...base, hooks: base.hooks.map((h) => ({ ...h, chain: h.chain.map((nf) => ({ ...nf, object: moved(nf.object) })) })) };
}
