/**
 * A raw object: a BPF ELF file as it is, what an `artifact:` URL that is
 * not a package serves, what a package's member and a bpfman layer hold,
 * and an Inspektor Gadget image's program layer. Checked before anything
 * else reads it, as bpfman checks its images: the ELF magic, the BPF
 * machine, the host's byte order. libbpf would refuse the others later,
 * with a message that does not say which download was wrong.
 */
import { endianness } from "node:os";
import type { CodeProblem } from "../../../state/code-source.js";
import { ArtifactError } from "../errors.js";

/** e_machine of a BPF object (EM_BPF, elf.h). */
const EM_BPF = 247;
/** e_ident[EI_DATA]: 1 little-endian, 2 big-endian. */
const ELF_DATA: Record<number, "LE" | "BE"> = { 1: "LE", 2: "BE" };
/** The ELF header up to e_machine (offset 18, 2 bytes). */
const ELF_HEADER_BYTES = 20;

/** Whether `bytes` start with the ELF magic (\x7fELF). */
export function isElf(bytes: Buffer): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes.toString("latin1", 1, 4) === "ELF";
}

/**
 * `bytes` if they are a BPF object for this host's byte order; otherwise
 * an ArtifactError with `code`, naming the content by `what`.
 *
 * @example
 *     requireBpfObject(readFileSync("bpf/build/counter.o"), "counter.o", "artifact-unsupported") // the bytes
 *     requireBpfObject(Buffer.from("<html>"), "https://x/nf.o", "artifact-unsupported")
 *     // throws "https://x/nf.o is not an ELF object (it starts with 3c 68 74 6d)"
 */
export function requireBpfObject(bytes: Buffer, what: string, code: CodeProblem): Buffer {
  const refuse = (why: string) => new ArtifactError(code, `${what} ${why}`);
  if (bytes.length === 0) throw refuse("is empty, not an ELF object");
  if (!isElf(bytes))
    throw refuse(
      `is not an ELF object (it starts with ${bytes
        .subarray(0, 4)
        .toString("hex")
        .replace(/(..)(?!$)/g, "$1 ")})`,
    );
  const order = ELF_DATA[bytes[5] ?? 0];
  if (bytes.length < ELF_HEADER_BYTES || order === undefined) throw refuse("is a truncated or malformed ELF file");
  const machine = order === "LE" ? bytes.readUInt16LE(18) : bytes.readUInt16BE(18);
  if (machine !== EM_BPF) throw refuse(`is an ELF file for machine ${machine}, not a BPF object (machine ${EM_BPF})`);
  const words = { LE: "little-endian", BE: "big-endian" };
  if (order !== endianness()) throw refuse(`is a ${words[order]} BPF object; this host is ${words[endianness()]}`);
  return bytes;
}
