#!/usr/bin/env bash
# Installs what traceview needs to build and test on Debian 12, skipping what
# is already there. Usage: tools/setup.sh [--test]   (--test adds test tools)
set -euo pipefail

need=(build-essential cmake pkg-config libmicrohttpd-dev libjansson-dev libuv1-dev
      liblz4-dev zlib1g-dev libiberty-dev)
if [[ "${1:-}" == "--test" ]]; then
  # clang: libFuzzer and the sanitizer build; python3, jq, binutils (c++filt):
  # independent checks of our output.
  need+=(clang libclang-rt-14-dev python3 jq binutils lz4)
  # Browser tests: node + playwright-core drive Debian's chromium (never a
  # downloaded browser). A machine may have node/npm from elsewhere: keep them.
  command -v node >/dev/null && command -v npm >/dev/null || need+=(nodejs npm)
  need+=(chromium)
fi

missing=()
for pkg in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [[ "${1:-}" == "--test" ]]; then
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [[ ! -d "$root/tests/browser/node_modules/playwright-core" ]]; then
    echo "setup: installing playwright-core for the browser tests"
    (cd "$root/tests/browser" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
