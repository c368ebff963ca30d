#!/usr/bin/env bash
# Installs what is missing, builds traceview, and serves FILE... (or the
# bundled example trace when no FILE is given).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh"
cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$root/build" -j"$(nproc)" --target traceview
exec "$root/build/traceview" serve "$@"
