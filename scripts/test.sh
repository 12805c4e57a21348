#!/usr/bin/env bash
# Run the whole test suite: unit, integration (network namespaces, real strongSwan/FRR/BIRD) and the
# container test. Needs root, the packages of scripts/deps.sh, `npm ci` and `npm run build` done
# (bash .ci/run does all of that first). Extra arguments go to vitest, e.g.
#   bash scripts/test.sh test/unit          # only the unit tests
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ "$(id -u)" != 0 ]; then
  echo "test: the integration tests create network namespaces and need root" >&2
  exit 1
fi
exec npx vitest run "$@"
