/**
 * The limits of sources/config-limits.ts as the config loader enforces
 * them: one file's size, the number of files, and their total, each
 * refused in one error that names the file and the limit, before it is parsed.
 */
import t from "tap";
import { MAX_CONFIG_FILES, MAX_CONFIG_FILE_BYTES, MAX_CONFIG_TOTAL_BYTES } from "../../src/sources/config-limits.js";
import { BUILD, configText, errorsOf, hookText, load, nfText } from "./helpers/configs.js";

/** A valid config for interface `ifname`, padded with a comment to `bytes` bytes. */
function configOf(ifname: string, bytes: number): string {
  const text = configText(hookText(ifname, "xdp", [nfText("c", `${BUILD}/counter.o`, "xdp_counter")]));
  return `${text}#${"x".repeat(bytes - text.length - 2)}\n`;
}

t.test("the limits are those README.md documents", async (t) => {
  t.same([MAX_CONFIG_FILE_BYTES, MAX_CONFIG_FILES, MAX_CONFIG_TOTAL_BYTES], [768 * 1024, 128, 768 * 1024]);
});

t.test("a file of the largest size loads; one byte more is refused unparsed", async (t) => {
  const dir = t.testdir({ "edge.yaml": configOf("eth1", MAX_CONFIG_FILE_BYTES), "big.yaml": configOf("eth1", MAX_CONFIG_FILE_BYTES + 1) });
  t.same(errorsOf(load(dir, ["edge.yaml"])), []);
  t.same(errorsOf(load(dir, ["big.yaml"])), ["big.yaml: the file is larger than 768 KiB, the most nfctl reads of one config file"]);
  t.same(errorsOf(load(dir, ["-"], { stdin: () => configOf("eth1", MAX_CONFIG_FILE_BYTES + 1) })), [
    "<stdin>: the file is larger than 768 KiB, the most nfctl reads of one config file",
  ]);
});

t.test("a config of more files than the limit: one error, at the first file too many, and nothing read after it", async (t) => {
  const files: Record<string, string> = {};
  for (let i = 0; i <= MAX_CONFIG_FILES; i++) files[`f${String(i).padStart(3, "0")}.yaml`] = configOf(`e${i}`, 300);
  const dir = t.testdir({ conf: files, "after.yaml": "not: [valid" });
  t.same(errorsOf(load(dir, ["conf", "after.yaml"])), ["conf/f128.yaml: the config has more than 128 files with this one, the most nfctl reads of one config"]);
  delete files["f128.yaml"];
  const fits = t.testdir({ conf: files });
  t.same(errorsOf(load(fits, ["conf"])), [], "128 files load");
});

t.test("files that together exceed the total: one error, at the file that crosses it", async (t) => {
  const files: Record<string, string> = {};
  // Files of the largest size that come to the total exactly (one, as the limits are).
  for (let i = 0; i < MAX_CONFIG_TOTAL_BYTES / MAX_CONFIG_FILE_BYTES; i++) files[`${i}.yaml`] = configOf(`eth${i}`, MAX_CONFIG_FILE_BYTES);
  const dir = t.testdir({ conf: files, "more.yaml": configOf("eth9", 300) });
  t.same(errorsOf(load(dir, ["conf"])), [], "exactly the total loads");
  t.same(errorsOf(load(dir, ["conf", "more.yaml"])), [
    "more.yaml: the config's files come to more than 768 KiB with this one, the most nfctl reads of one config",
  ]);
  t.same(errorsOf(load(dir, ["conf/0.yaml", "conf"])), [], "a file given twice counts once");
});
