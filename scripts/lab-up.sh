#!/usr/bin/env bash
# Bring up the lab from a fresh clone (Debian 12, Node 20, as root): Design 1, two nvad NVAs in a
# bow-tie with an active-active Azure gateway stand-in (strongSwan + FRR, both in scripts/deps.sh).
#   installs the system packages (scripts/deps.sh), npm ci (builds the native addon), npm run build,
#   then runs `nvad lab up`. Arguments go to `nvad lab up` (e.g. --name NAME, --gateway nvad).
# Stop it with: node bin/nvad.js lab down
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ "$(id -u)" != 0 ]; then
  echo "lab-up: run as root (the lab creates network namespaces; packages are installed with apt-get)" >&2
  exit 1
fi
command -v node >/dev/null || { echo "lab-up: node not found: install Node.js 20 or newer" >&2; exit 1; }
major=$(node -p 'process.versions.node.split(".")[0]')
[ "$major" -ge 20 ] || { echo "lab-up: node $(node -v) is too old: nvad needs Node.js 20 or newer" >&2; exit 1; }

. scripts/deps.sh
echo "lab-up: system packages (scripts/deps.sh)"
nvad_install_deps
if [ ! -f native/build/Release/nvad.node ] || [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "lab-up: npm ci (installs dependencies and builds the native addon)"
  npm ci --no-audit --no-fund
fi
echo "lab-up: npm run build"
npm run build
exec node bin/nvad.js lab up "$@"
