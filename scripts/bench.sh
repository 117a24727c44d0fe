#!/usr/bin/env bash
# Header-check benchmark: preflight against ImageMagick `identify -ping` and libvips `vipsheader`
# on the same synthetic corpus (200 phone-sized 4032×3024 JPEGs of 3–6 MB with EXIF, 50 PNGs).
# Prints seconds (best of RUNS) and ratios. Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
corpus=bench-corpus

need=()
command -v identify >/dev/null || need+=(imagemagick)
command -v vipsheader >/dev/null || need+=(libvips-tools)
command -v bc >/dev/null || need+=(bc)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
scripts/install-deps.sh
swift build -c release -q
bin=.build/release
if [ ! -f "$corpus/.complete" ]; then
  echo "synthesising $corpus/ (200 JPEG + 50 PNG; about a minute)…"
  rm -rf "$corpus"
  "$bin/pp-fixtures" corpus "$corpus" --jpegs 200 --pngs 50
  touch "$corpus/.complete"
fi
files=("$corpus"/*.jpg "$corpus"/*.png)
jpeg_mb=$(du -cb "$corpus"/*.jpg | tail -1 | awk '{printf "%.0f", $1/1e6}')
echo "corpus: ${#files[@]} files, JPEGs ${jpeg_mb} MB in all ($(ls -S "$corpus"/*.jpg | tail -1 | xargs du -b | awk '{printf "%.1f", $1/1e6}')–$(ls -S "$corpus"/*.jpg | head -1 | xargs du -b | awk '{printf "%.1f", $1/1e6}') MB each); $(nproc) cores"

# best-of-N wall time of a command, in seconds
best() {
  local best=""
  for _ in $(seq "$runs"); do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
  done
  printf "%.3f" "$best"
}

# sanity: every tool must see all files (identify prints one line per file)
[ "$(identify -ping "${files[@]}" 2>/dev/null | wc -l)" -eq "${#files[@]}" ] || echo "warning: identify did not list every file"

t_pf1=$(best "$bin/preflight" check --header-only --format json --jobs 1 "$corpus")
t_pf=$(best "$bin/preflight" check --header-only --format json "$corpus")
t_id=$(best identify -ping "${files[@]}")
t_vh=$(best vipsheader "${files[@]}")
t_full=$(best "$bin/preflight" check --format json "$corpus")

ratio() { echo "scale=1; $1 / $2" | bc -l; }
echo
echo "header-only check of ${#files[@]} files (best of $runs runs):"
printf "  %-44s %8ss\n" "preflight check --header-only (--jobs 1)" "$t_pf1"
printf "  %-44s %8ss\n" "preflight check --header-only (all cores)" "$t_pf"
printf "  %-44s %8ss   %sx slower than preflight --jobs 1\n" "identify -ping (ImageMagick)" "$t_id" "$(ratio "$t_id" "$t_pf1")"
printf "  %-44s %8ss   %sx slower than preflight --jobs 1\n" "vipsheader (libvips)" "$t_vh" "$(ratio "$t_vh" "$t_pf1")"
echo
echo "full check, decoding every file at 1/8 scale to find damaged data:"
printf "  %-44s %8ss   %.0f files/s\n" "preflight check (all cores)" "$t_full" "$(echo "${#files[@]} / $t_full" | bc -l)"
