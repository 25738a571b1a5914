#!/usr/bin/env node
/**
 * nfctl's command-line entry point.
 */
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as { version: string };

const USAGE = `nfctl ${version}: declarative reconciler for eBPF network functions

Usage: nfctl --version | --help

The kernel layer (chains, atomic swap, bpffs state) is in place; the plan,
apply, status and destroy commands are being built on it.`;

const arg = process.argv[2];
if (arg === "--version") {
  process.stdout.write(`${version}\n`);
} else if (arg === undefined || arg === "--help" || arg === "-h") {
  process.stdout.write(`${USAGE}\n`);
} else {
  process.stderr.write(`nfctl: unknown argument "${arg}"\n${USAGE}\n`);
  process.exitCode = 1;
}
