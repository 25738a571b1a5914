/**
 * A git URL's secrets: hidden wherever the URL is shown or stored (errors,
 * logs, status, generation records, plans), and kept off git's command
 * line, which every local user reads in `ps`.
 *
 * @example
 *     redactUrl("https://ci:tok@en@git.example.com/r.git?private_token=x"); // "https://***@git.example.com/r.git?private_token=***"
 *     gitRemote("https://ci:token@git.example.com/r.git");
 *     // { url: "https://git.example.com/r.git", env: { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: "Authorization: Basic Y2k6dG9rZW4=" } }
 */

const SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;
const HIDDEN = "***";

/**
 * The URL as messages and records show it. A URL with a scheme loses its
 * whole user info (a user is often a token itself), up to the last "@"
 * before the query: a password holding "@" or "/" leaks no part (a path
 * holding "@" is hidden up to it, the safe side). An scp-like
 * `user@host:path` keeps its user (ssh's login name); anything after a ":"
 * in it is hidden. Every query value and any fragment are hidden
 * (`?private_token=***`, `#***`): signed URLs carry secrets there.
 */
export function redactUrl(url: string): string {
  const query = url.search(/[?#]/);
  if (query === -1) return withoutUserinfo(url);
  return withoutUserinfo(url.slice(0, query)) + withoutQueryValues(url.slice(query));
}

function withoutUserinfo(head: string): string {
  const scheme = SCHEME.exec(head)?.[0];
  if (scheme !== undefined) {
    const at = head.lastIndexOf("@");
    return at >= scheme.length ? `${scheme}${HIDDEN}${head.slice(at)}` : head;
  }
  const slash = head.indexOf("/");
  const at = head.lastIndexOf("@", slash === -1 ? head.length : slash);
  const colon = head.indexOf(":");
  return at !== -1 && colon !== -1 && colon < at ? `${head.slice(0, colon)}:${HIDDEN}${head.slice(at)}` : head;
}

/** `tail` starts with "?" or "#": each query parameter keeps its name, a bare one is hidden whole. */
function withoutQueryValues(tail: string): string {
  const hash = tail.indexOf("#");
  const query = hash === -1 ? tail : tail.slice(0, hash);
  const parameters = query === "" ? "" : `?${query.slice(1).split("&").map(hiddenValue).join("&")}`;
  return parameters + (hash === -1 ? "" : `#${HIDDEN}`);
}

function hiddenValue(parameter: string): string {
  const equals = parameter.indexOf("=");
  if (equals !== -1) return `${parameter.slice(0, equals + 1)}${HIDDEN}`;
  return parameter === "" ? "" : HIDDEN;
}

/** The URL git is given, and the environment that carries what was taken out of it. */
export interface GitRemote {
  url: string;
  env: Record<string, string>;
}

/**
 * An https URL's user and password moved out of the URL into git's
 * environment, as an `Authorization: Basic` header (http.extraHeader
 * through GIT_CONFIG_COUNT/KEY/VALUE): a process's environment is readable
 * by its user alone, its command line by everyone. git then never asks a
 * credential helper (which might store the token) and never prints the
 * credentials. Any other URL is given as it is: validateGitUrl refuses a
 * password in an ssh URL and a query anywhere, and an ssh user is a login
 * name, not a secret. `url` has been validated.
 */
export function gitRemote(url: string): GitRemote {
  const scheme = SCHEME.exec(url)?.[0];
  if (scheme === undefined || scheme.toLowerCase() !== "https://") return { url, env: {} };
  // The URL parser's authority: up to the first "/", "?", "#" or "\", its user info up to the last "@" in it.
  const end = url.slice(scheme.length).search(/[/?#\\]/);
  const authority = url.slice(scheme.length, end === -1 ? undefined : scheme.length + end);
  const at = authority.lastIndexOf("@");
  if (at === -1) return { url, env: {} };
  const { username, password } = new URL(url);
  const basic = Buffer.from(`${decoded(username)}:${decoded(password)}`, "utf8").toString("base64");
  return {
    url: scheme + url.slice(scheme.length + at + 1),
    env: { GIT_CONFIG_COUNT: "1", GIT_CONFIG_KEY_0: "http.extraHeader", GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` },
  };
}

/** A URL part with its %-escapes decoded (as git decodes them); as given when they are malformed. */
export function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
