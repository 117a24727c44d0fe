#!/usr/bin/env bash
# `preflight fix` benchmark: N phone-sized headshots (4032×3024 JPEGs of the astronaut portrait,
# half with EXIF rotation; synthesised into bench-headshots/ by pp-fixtures) to 720×1280 under
# 10 MB, against vipsthumbnail (libvips, attention smart-crop), ImageMagick `convert` (resize +
# centre crop) and autocrop (PyPI, face crop), one file at a time on one core.
# preflight does more: face-aware shoulders-up crop, eye levelling, metadata strip, quality search
# under the budget and a re-check of every output. Usage: scripts/bench-fix.sh [N] (default 100)
# Then the 200 faceless phone JPEGs of the check benchmark (bench-corpus/), with the face rules
# off (Fixtures/format-only-rules.json: a centre crop), against vipsthumbnail --smartcrop centre
# and convert (autocrop needs a face, so it has nothing to do there). Set CORPUS=0 to skip them.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
need=()
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v convert >/dev/null || need+=(imagemagick)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}"
fi
command -v autocrop >/dev/null || python3 -m pip install -q "autocrop==2.0.0" "opencv-python-headless<5"
scripts/install-deps.sh
scripts/build-release.sh -q
bin=.build/release
if [ ! -f bench-headshots/.complete ]; then
  rm -rf bench-headshots
  "$bin/pp-fixtures" headshots bench-headshots --count 100
  touch bench-headshots/.complete
fi
if [ "${CORPUS:-200}" != 0 ] && [ ! -f bench-corpus/.complete ]; then
  rm -rf bench-corpus
  "$bin/pp-fixtures" corpus bench-corpus --jpegs 200 --pngs 50
  touch bench-corpus/.complete
fi
files=($(ls bench-headshots/*.jpg | head -n "$n"))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }'; }
loop_vips() { for f in "${files[@]}"; do VIPS_CONCURRENCY=1 vipsthumbnail "$f" --size 720x1280 --smartcrop attention -o "$tmp/vips-%s.jpg[Q=90,strip]"; done; }
loop_im() { for f in "${files[@]}"; do convert "$f" -auto-orient -resize '720x1280^' -gravity center -extent 720x1280 -strip -quality 90 "$tmp/im.jpg"; done; }
loop_ac() { for f in "${files[@]}"; do autocrop -w 720 -H 1280 -o "$tmp/ac-$(basename "$f")" "$f"; done; }
t_pf=$(seconds "$bin/preflight" fix --jobs 1 --out "$tmp/pf" "${files[@]}")
t_pf2=$(seconds "$bin/preflight" fix --out "$tmp/pf2" "${files[@]}")
t_vips=$(seconds loop_vips)
t_im=$(seconds loop_im)
t_ac=$(seconds loop_ac)
fixed=$(ls "$tmp/pf" | wc -l)
per() { awk -v t="$1" -v n="${#files[@]}" 'BEGIN { printf "%.0f", t * 1000 / n }'; }
echo "fix ${#files[@]} phone-sized headshots to 720×1280 (preflight wrote $fixed, each re-checked):"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix --jobs 1" "$t_pf" "$(per "$t_pf")"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix (all $(nproc) cores)" "$t_pf2" "$(per "$t_pf2")"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "vipsthumbnail --smartcrop attention (1 thread)" "$t_vips" "$(per "$t_vips")" "$(awk -v a="$t_vips" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "ImageMagick convert -resize -extent -strip" "$t_im" "$(per "$t_im")" "$(awk -v a="$t_im" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "autocrop -w 720 -H 1280" "$t_ac" "$(per "$t_ac")" "$(awk -v a="$t_ac" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"

[ "${CORPUS:-200}" != 0 ] || exit 0
files=($(ls bench-corpus/*.jpg | head -n "${CORPUS:-200}"))
loop_vips_centre() { for f in "${files[@]}"; do VIPS_CONCURRENCY=1 vipsthumbnail "$f" --size 720x1280 --smartcrop centre -o "$tmp/vc-%s.jpg[Q=90,strip]"; done; }
t_pf=$(seconds "$bin/preflight" fix --jobs 1 --rules Fixtures/format-only-rules.json --out "$tmp/pfc" "${files[@]}")
t_pf2=$(seconds "$bin/preflight" fix --rules Fixtures/format-only-rules.json --out "$tmp/pfc2" "${files[@]}")
t_vips=$(seconds loop_vips_centre)
t_im=$(seconds loop_im)
echo "fix ${#files[@]} faceless phone JPEGs (4032×3024) to 720×1280, face rules off: a centre crop (preflight wrote $(ls "$tmp/pfc" | wc -l)):"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix --jobs 1 --rules format-only" "$t_pf" "$(per "$t_pf")"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix --rules format-only (all $(nproc) cores)" "$t_pf2" "$(per "$t_pf2")"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "vipsthumbnail --smartcrop centre (1 thread)" "$t_vips" "$(per "$t_vips")" "$(awk -v a="$t_vips" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "ImageMagick convert -resize -extent -strip" "$t_im" "$(per "$t_im")" "$(awk -v a="$t_im" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
