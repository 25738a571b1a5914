#!/usr/bin/env bash
# npm run lint: ESLint (types and layer boundaries), prettier --check, and
# the layout of the C (scripts/check-c-format.sh). All three run, so that one
# run shows every finding; the exit status is non-zero if any of them failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bin=node_modules/.bin

# The type-checked rules need the config types that the build generates.
node scripts/gen-config-types.mjs && node scripts/gen-config-validator.mjs || exit 1

status=0
echo "lint: eslint" >&2
"$bin/eslint" . || status=1
echo "lint: prettier --check" >&2
"$bin/prettier" --check --log-level warn . || status=1
echo "lint: clang-format" >&2
bash scripts/check-c-format.sh || status=1
exit $status
