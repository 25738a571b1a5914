/**
 * `--listen HOST:PORT` as commander parses it: the controller's parser,
 * with its one-line errors as argument errors.
 */
import { InvalidArgumentError } from "commander";
import { DEFAULT_LISTEN, parseListen } from "../controller/http.js";

export { DEFAULT_LISTEN };

export function listenAddress(value: string): { host: string; port: number } {
  try {
    return parseListen(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}
