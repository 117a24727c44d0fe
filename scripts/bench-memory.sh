#!/usr/bin/env bash
# Peak resident memory (and wall time) of preflight on the hostile-input set: 672 truncated,
# damaged and malicious files and decompression bombs under the 200 MP limit, made by
# `pp-fixtures hostile` into the git-ignored hostile-corpus/. Prints one line per run.
#
#   scripts/bench-memory.sh [PREFLIGHT_BINARY]
#
# With another binary (an older build, say) the same runs measure that one.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-release.sh -q
bin=${1:-.build/release/preflight}
corpus=hostile-corpus
if [ ! -f "$corpus/.complete" ]; then
  rm -rf "$corpus"
  .build/release/pp-fixtures hostile Fixtures/photos "$corpus" >/dev/null
  touch "$corpus/.complete"
fi
echo "$(find "$corpus" -type f ! -name .complete | wc -l) files ($(du -sh "$corpus" | cut -f1)), $(nproc) cores, $bin"
measure() {  # label command...
  local label=$1 err secs kib
  shift
  err=$(mktemp)
  /usr/bin/time -f "%e %M" "$@" >/dev/null 2>"$err" || true
  read -r secs kib < <(tail -1 "$err")
  printf '%-44s %6.1f s  peak %6.0f MB\n' "$label" "$secs" "$(echo "$kib" | awk '{ print $1 * 1024 / 1e6 }')"
  rm -f "$err"
}
out=$(mktemp -d)
measure "check, default --jobs" "$bin" check --format json "$corpus"
measure "check --jobs 16" "$bin" check --format json --jobs 16 "$corpus"
measure "check, the bombs only" "$bin" check --format json "$corpus/bombs"
measure "fix, face rules off (renders the most)" "$bin" fix --rules Fixtures/format-only-rules.json "$corpus" --out "$out/a"
measure "fix --jobs 16, face rules off" "$bin" fix --rules Fixtures/format-only-rules.json --jobs 16 "$corpus" --out "$out/b"
rm -rf "$out"
