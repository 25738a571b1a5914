/**
 * Native errors name the call, the object and the errno in words, also
 * for libbpf's own error codes, which strerror does not know.
 */
import t from "tap";
import { NativeError, describeErrno } from "../src/native/index.js";

t.test("a kernel errno is named and described", async (t) => {
  const err = new NativeError("bpf_obj_get", "/sys/fs/bpf/x", 2);
  t.equal(err.message, "bpf_obj_get(/sys/fs/bpf/x): No such file or directory (ENOENT)");
  t.equal(err.code, "ENOENT");
});

t.test("libbpf's own errno (4000 and up) is named and described", async (t) => {
  t.equal(describeErrno(4001), "BPF object format invalid (LIBBPF_ERRNO__FORMAT)");
  t.equal(describeErrno(4007), "Kernel verifier blocks program loading (LIBBPF_ERRNO__VERIFY)");
  t.equal(new NativeError("bpf_object__open_file", "/x.o", 4001).code, "LIBBPF_ERRNO__FORMAT");
  t.equal(describeErrno(4999), "Unknown libbpf error 4999", "a code this nfctl does not know is still in words");
});
