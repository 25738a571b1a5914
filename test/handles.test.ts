/**
 * Handles: one kind each, closed once, refused after close, counted while
 * open; borrowed ones are closed by their owner only. No kernel needed:
 * any fd will do for the bookkeeping (here, /dev/null's), and the kinds
 * are told apart by the compiler.
 */
import t from "tap";
import { openSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { openHandleCount, programInfo, mapInfo, type MapHandle, type ProgramHandle } from "../src/native/index.js";
import { borrowHandle, ownHandle } from "../src/native/handle.js";

/** The repository root (this file runs as dist/test/handles.test.js). */
const REPO = fileURLToPath(new URL("../..", import.meta.url));

const isOpen = (fd: number) => {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === "/dev/null";
  } catch {
    return false;
  }
};

t.test("an owned handle closes its fd once and refuses use after", async (t) => {
  const before = openHandleCount();
  const fd = openSync("/dev/null", "r");
  const handle = ownHandle("map", fd, "/dev/null");
  t.equal(openHandleCount(), before + 1, "counted while open");
  t.equal(handle.fd, fd);
  handle.close();
  t.notOk(isOpen(fd), "the fd is closed");
  t.equal(openHandleCount(), before, "no longer counted");
  t.doesNotThrow(() => handle.close(), "closing again does nothing");
  t.equal(openHandleCount(), before, "and counts nothing");
  t.throws(() => handle.fd, { message: "map handle /dev/null used after close()" });
});

t.test("a borrowed handle is closed by its owner, and refused once the owner is closed", async (t) => {
  const before = openHandleCount();
  const fd = openSync("/dev/null", "r");
  let ownerOpen = true;
  const handle = borrowHandle("prog", fd, "x.o:prog", () => ownerOpen);
  t.equal(openHandleCount(), before, "the owner counts, not the loan");
  handle.close();
  t.ok(isOpen(fd), "closing a borrowed handle leaves the fd to its owner");
  t.equal(handle.fd, fd);
  ownerOpen = false;
  t.throws(() => handle.fd, { message: "program handle x.o:prog used after its BPF object was closed" });
  ownHandle("prog", fd, "cleanup").close();
});

/**
 * Never called: tsc fails the build if either call type-checks. Exported,
 * as it has no caller.
 */
export function probe(map: MapHandle, prog: ProgramHandle): void {
  // @ts-expect-error: a map handle is not a program handle
  programInfo(map);
  // @ts-expect-error: nor a program handle a map handle
  mapInfo(prog);
}

/** tsc's errors in `text`, type-checked as the file `path` with the project's options: "the line: TSnnnn: the message". */
function typeErrors(path: string, text: string): string[] {
  const { options } = ts.parseJsonConfigFileContent(ts.readConfigFile(join(REPO, "tsconfig.json"), (file) => ts.sys.readFile(file)).config, ts.sys, REPO);
  const host = ts.createCompilerHost(options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, version, ...rest) => (name === path ? ts.createSourceFile(name, text, version) : read(name, version, ...rest));
  const program = ts.createProgram([path], { ...options, noEmit: true }, host);
  const file = program.getSourceFile(path)!;
  return ts.getPreEmitDiagnostics(program, file).map((d) => {
    const line = text.split("\n")[file.getLineAndCharacterOfPosition(d.start ?? 0).line]!.trim();
    return `${line}: TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
  });
}

t.test("a handle of one kind does not pass for another", async (t) => {
  // A @ts-expect-error is content with any error (an argument too many, a name misspelt): without them, the errors must be the kinds.
  const path = join(REPO, "test/handles.test.ts");
  t.same(
    typeErrors(path, readFileSync(path, "utf8").replaceAll(/\/\/ @ts-expect-error.*\n/g, "")),
    [
      "programInfo(map);: TS2345: Argument of type 'MapHandle' is not assignable to parameter of type 'ProgramHandle'.\n  Type '\"map\"' is not assignable to type '\"prog\"'.",
      "mapInfo(prog);: TS2345: Argument of type 'ProgramHandle' is not assignable to parameter of type 'MapHandle'.\n  Type '\"prog\"' is not assignable to type '\"map\"'.",
    ],
    "without the directives, tsc refuses each call for the handle's kind, and nothing else",
  );
});
