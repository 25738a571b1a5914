/**
 * Colour for terminal output: on only when the stream is a terminal and
 * NO_COLOR is unset (https://no-color.org), whatever CI variables say.
 */
import picocolors from "picocolors";

export type Colors = ReturnType<typeof picocolors.createColors>;

export function colorsFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Colors {
  const enabled = stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "");
  return picocolors.createColors(enabled);
}
