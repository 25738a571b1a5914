#!/usr/bin/env bash
# Checks that the C of bpf/ and test/harness/ is laid out as .clang-format
# says (npm run lint); with --write, lays it out so (npm run format).
# clang-format comes from Debian (scripts/setup.sh): another major version
# may lay out the same code differently.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(find bpf test/harness -name build -prune -o -type f \( -name '*.c' -o -name '*.h' \) -print | sort)
if [ "${1:-}" = --write ]; then
  clang-format -i "${files[@]}"
else
  clang-format --dry-run -Werror "${files[@]}"
fi
