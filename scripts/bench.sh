#!/usr/bin/env bash
# Benchmarks. Header check: preflight against ImageMagick `identify -ping` and libvips
# `vipsheader` on a synthetic corpus (200 phone-sized 4032×3024 JPEGs of 3–6 MB with EXIF, 50
# PNGs). Face analysis: preflight with all rules against OpenCV-Python (scripts/bench_opencv.py)
# on those JPEGs (no faces) and on 100 phone-sized headshots with a real face.
# Prints mean seconds (hyperfine, RUNS runs) and ratios. Usage: scripts/bench.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
corpus=bench-corpus

need=()
command -v identify >/dev/null || need+=(imagemagick)
command -v vipsheader >/dev/null || need+=(libvips-tools)
command -v hyperfine >/dev/null || need+=(hyperfine)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
python3 -c "import cv2; cv2.CascadeClassifier" 2>/dev/null || python3 -m pip install -q "opencv-python-headless<5"
scripts/install-deps.sh
scripts/build-release.sh -q
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

# mean wall time of a command over RUNS runs (after 3 warm-ups), in seconds; hyperfine -N runs it
# without a shell, so nothing but the command itself is timed
mean() {
  local csv
  csv=$(mktemp)
  hyperfine -N -i --style none --warmup 3 --runs "$runs" --export-csv "$csv" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
  awk -F, 'NR == 2 { printf "%.4f", $2 }' "$csv"
  rm -f "$csv"
}

# sanity: every tool must see all files (identify prints one line per file)
[ "$(identify -ping "${files[@]}" 2>/dev/null | wc -l)" -eq "${#files[@]}" ] || echo "warning: identify did not list every file"

t_pf1=$(mean "$bin/preflight" check --header-only --format json --jobs 1 "$corpus")
t_pf=$(mean "$bin/preflight" check --header-only --format json "$corpus")
t_id=$(mean identify -ping "${files[@]}")
t_vh=$(mean vipsheader "${files[@]}")
t_full=$(runs=3 mean "$bin/preflight" check --rules Fixtures/format-only-rules.json --format json "$corpus")
if [ ! -f bench-headshots/.complete ]; then
  echo "synthesising bench-headshots/ (100 phone-sized JPEGs of the astronaut portrait)…"
  rm -rf bench-headshots
  "$bin/pp-fixtures" headshots bench-headshots --count 100
  touch bench-headshots/.complete
fi
# Face analysis on both corpora: preflight with every rule, and OpenCV-Python doing decode +
# frontal detection + eyes, decoding at its best (reduced) and as scripts usually do (full).
face_bench() {  # prefix files...
  local p=$1; shift
  eval "${p}_n=$#"
  eval "${p}_1=\$(runs=1 mean \"\$bin/preflight\" check --format json --jobs 1 \"\$@\")"
  eval "${p}_all=\$(runs=3 mean \"\$bin/preflight\" check --format json \"\$@\")"
  eval "${p}_cvr=\$(python3 scripts/bench_opencv.py --reduced /usr/share/opencv4 \"\$@\" | awk '{print \$2}')"
  eval "${p}_cvf=\$(python3 scripts/bench_opencv.py --full /usr/share/opencv4 \"\$@\" | awk '{print \$2}')"
  eval "${p}_cvt=\$(OPENCV_THREADS=default python3 scripts/bench_opencv.py --full /usr/share/opencv4 \"\$@\" | awk '{print \$2}')"
}
face_bench nf "$corpus"/*.jpg
face_bench hs bench-headshots/*.jpg

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / b }'; }
echo
echo "header-only check of ${#files[@]} files (mean of $runs runs):"
printf "  %-44s %8ss\n" "preflight check --header-only (--jobs 1)" "$t_pf1"
printf "  %-44s %8ss\n" "preflight check --header-only (all cores)" "$t_pf"
printf "  %-44s %8ss   %sx slower than preflight --jobs 1\n" "identify -ping (ImageMagick)" "$t_id" "$(ratio "$t_id" "$t_pf1")"
printf "  %-44s %8ss   %sx slower than preflight --jobs 1\n" "vipsheader (libvips)" "$t_vh" "$(ratio "$t_vh" "$t_pf1")"
echo
echo "full check without face rules, decoding every file at 1/8 scale to find damaged data (mean of 3 runs):"
printf "  %-44s %8ss   %.0f files/s\n" "preflight check (all cores)" "$t_full" "$(awk -v n="${#files[@]}" -v t="$t_full" 'BEGIN { print n / t }')"
echo
face_report() {  # prefix title
  local p=$1 n t1 ta tr tf
  n=$(eval echo "\$${p}_n"); t1=$(eval echo "\$${p}_1"); ta=$(eval echo "\$${p}_all")
  tr=$(eval echo "\$${p}_cvr"); tf=$(eval echo "\$${p}_cvf"); tt=$(eval echo "\$${p}_cvt")
  rate() { awk -v n="$n" -v t="$1" 'BEGIN { printf "%.1f", n / t }'; }
  echo "$2"
  printf "  %-56s %8ss   %5s photos/s\n" "preflight check, all rules (--jobs 1)" "$t1" "$(rate "$t1")"
  printf "  %-56s %8ss   %5s photos/s\n" "preflight check, all rules (all $(nproc) cores)" "$ta" "$(rate "$ta")"
  printf "  %-56s %8ss   %5s photos/s   preflight --jobs 1 is %sx as fast\n" "OpenCV-Python, full decode as usually scripted (1 thread)" "$tf" "$(rate "$tf")" "$(ratio "$tf" "$t1")"
  printf "  %-56s %8ss   %5s photos/s   preflight --jobs 1 is %sx as fast\n" "OpenCV-Python, DCT-reduced decode (1 thread)" "$tr" "$(rate "$tr")" "$(ratio "$tr" "$t1")"
  printf "  %-56s %8ss   %5s photos/s   preflight (all cores) is %sx as fast\n" "OpenCV-Python, full decode, OpenCV's own threads" "$tt" "$(rate "$tt")" "$(ratio "$tt" "$ta")"
}
echo
face_report nf "face analysis on the ${nf_n} synthetic phone JPEGs (no faces; each file takes about 33 ms to decode at 1/8 in libjpeg alone):"
echo
face_report hs "face analysis on ${hs_n} phone-sized headshots (the astronaut portrait enlarged to 4032×3024, busy background):"
