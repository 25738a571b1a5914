/**
 * HTTP inside a lab's network namespace: its 127.0.0.1 is the lab's own,
 * which this process, in the machine's namespace, cannot reach.
 */
import { spawn } from "node:child_process";

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * A GET of `url` from inside network namespace `netns` (a name under
 * /run/netns), or from here when it is undefined: a lab's 127.0.0.1 is
 * reachable only from inside the lab, so a node child entered with nsenter
 * makes the request there.
 */
export async function httpGet(url: string, netns?: string): Promise<HttpResponse> {
  if (netns === undefined) {
    const r = await fetch(url);
    return { status: r.status, body: await r.text() };
  }
  const script = "fetch(process.argv[1]).then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, body: await r.text() })))";
  return JSON.parse(await nodeIn(netns, script, [url], `GET ${url}`)) as HttpResponse;
}

/**
 * What a node child entered into network namespace `netns` with nsenter
 * printed, running `script` (`node -e`) with `args` as process.argv[1..].
 * Throws one line naming `what` when the child fails.
 *
 * @example
 *     await nodeIn("lab1", "process.stdout.write(process.argv[1])", ["hi"], "echo"); // "hi"
 */
export async function nodeIn(netns: string, script: string, args: string[], what: string): Promise<string> {
  const child = spawn("nsenter", [`--net=/run/netns/${netns}`, process.execPath, "-e", script, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`${what} in ${netns} failed (exit ${code}): ${err.trim()}`);
  return out;
}
