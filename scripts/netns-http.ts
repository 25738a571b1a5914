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
  const child = spawn("nsenter", [`--net=/run/netns/${netns}`, process.execPath, "-e", script, url], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => (out += s));
  child.stderr.setEncoding("utf8").on("data", (s: string) => (err += s));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", resolve);
  });
  if (code !== 0) throw new Error(`GET ${url} in ${netns} failed (exit ${code}): ${err.trim()}`);
  return JSON.parse(out) as HttpResponse;
}
