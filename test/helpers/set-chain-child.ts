/**
 * Runs setChain in a process of its own, for tests that prove the chain
 * outlives the process that built it. Started inside a lab namespace with
 * nsenter; argv[2] is JSON { root, target, nfs } (map entries hex-encoded);
 * prints the HookOutcome and the live program IDs as JSON, then exits.
 */
import { setChain, type ChainNf, type ChainTarget } from "../../src/reconcile/set-chain.js";
import { observe, currentNetns } from "../../src/state/index.js";

interface Request {
  root: string;
  target: ChainTarget;
  nfs: Array<Omit<ChainNf, "maps"> & { maps?: Record<string, Array<{ key: string; value: string }>> }>;
}

const req = JSON.parse(process.argv[2]!) as Request;
const nfs: ChainNf[] = req.nfs.map((nf) => ({
  ...nf,
  maps: Object.fromEntries(
    Object.entries(nf.maps ?? {}).map(([name, entries]) => [
      name,
      entries.map((e) => ({ key: Buffer.from(e.key, "hex"), value: Buffer.from(e.value, "hex") })),
    ]),
  ),
}));
const result = setChain(req.target, nfs, { root: req.root });
const hook = observe(req.root, currentNetns()).hooks.find((h) => h.address.hook === req.target.hook);
process.stdout.write(JSON.stringify({ result, progIds: hook?.live?.nfs.map((n) => n.progId) }));
