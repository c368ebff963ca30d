#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test twice: a normal build
# (gcc, warnings as errors) and a clang build with AddressSanitizer,
# UndefinedBehaviorSanitizer and the libFuzzer harnesses (fuzzing is bounded).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/tools/setup.sh" --test
jobs="$(nproc)"

echo "== build (gcc, -Werror)"
cmake -S "$root" -B "$root/build-test" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTV_WERROR=ON >/dev/null
cmake --build "$root/build-test" -j"$jobs"
(cd "$root/build-test" && ctest -j"$jobs" --output-on-failure)

echo "== build (clang, ASan + UBSan, fuzzers)"
CC=clang cmake -S "$root" -B "$root/build-asan" -DCMAKE_BUILD_TYPE=Debug \
  -DTV_ASAN=ON -DTV_UBSAN=ON -DTV_FUZZ=ON -DTV_WERROR=ON >/dev/null
cmake --build "$root/build-asan" -j"$jobs"
(cd "$root/build-asan" && ASAN_OPTIONS=detect_leaks=1 ctest -j"$jobs" --output-on-failure)
