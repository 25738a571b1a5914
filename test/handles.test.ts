/**
 * Handles: one kind each, closed once, refused after close, counted while
 * open; borrowed ones are closed by their owner only. No kernel needed:
 * any fd will do for the bookkeeping (here, /dev/null's).
 */
import t from "tap";
import { openSync, readlinkSync } from "node:fs";
import { openHandleCount, programInfo, mapInfo, type MapHandle, type ProgramHandle } from "../src/native/index.js";
import { borrowHandle, ownHandle } from "../src/native/handle.js";

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

t.test("a handle of one kind does not pass for another", async (t) => {
  const probe = (map: MapHandle, prog: ProgramHandle) => {
    // @ts-expect-error: a map handle is not a program handle
    programInfo(map);
    // @ts-expect-error: nor a program handle a map handle
    mapInfo(prog);
  };
  t.type(probe, "function", "checked by the compiler (tsc fails if either line type-checks)");
});
