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
# Then the default fix on oversized phone photos (OVERSIZED=20 48 MP JPEGs over 10 MB: 6000×8000
# and 8064×6048 at quality 95 with EXIF, synthesised into bench-oversized/): made under the budget
# at full resolution, against jpegoptim --size=9500k and ImageMagick -define jpeg:extent=9500kb
# on the same files: time per photo, output size and pixels, SSIM against the input (luma,
# scikit-image, scripts/ssim.py; SSIM=N limits it to the first N photos, 0 skips it). Set
# OVERSIZED=0 to skip, ONLY=oversized to run only that.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
need=()
command -v vipsthumbnail >/dev/null || need+=(libvips-tools)
command -v identify >/dev/null || need+=(imagemagick)  # identify: a stand-in convert may exist alone
command -v jpegoptim >/dev/null || need+=(jpegoptim)
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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }'; }

oversized() {
  local count=${OVERSIZED:-20}
  [ "$count" != 0 ] || return 0
  if [ ! -f bench-oversized/.complete ] || [ "$(ls bench-oversized/*.jpg | wc -l)" -lt "$count" ]; then
    rm -rf bench-oversized
    "$bin/pp-fixtures" oversized bench-oversized --count "$count"
    touch bench-oversized/.complete
  fi
  python3 -c "import skimage" 2>/dev/null || python3 -m pip install -q "scikit-image==0.26.0" pillow
  local photos=($(ls bench-oversized/*.jpg | head -n "$count"))
  local k=${#photos[@]}
  mkdir -p "$tmp/ov-pf" "$tmp/ov-pf95" "$tmp/ov-jo" "$tmp/ov-im"
  loop_jo() { for f in "${photos[@]}"; do jpegoptim -q --size=9500 -d "$tmp/ov-jo" "$f"; done; }
  loop_imx() { for f in "${photos[@]}"; do convert -limit thread 1 "$f" -define jpeg:extent=9500kb "$tmp/ov-im/$(basename "$f")"; done; }
  local t_pf t_pf95 t_jo t_im
  t_pf=$(seconds "$bin/preflight" fix --jobs 1 --out "$tmp/ov-pf" "${photos[@]}")
  # The same target as the others (9500 KiB), for a like-for-like quality comparison.
  t_pf95=$(seconds "$bin/preflight" fix --jobs 1 --max-bytes 9776000 --out "$tmp/ov-pf95" "${photos[@]}")
  t_jo=$(seconds loop_jo)
  t_im=$(seconds loop_imx)
  local input_mb
  input_mb=$(du -cb "${photos[@]}" | tail -1 | awk -v k="$k" '{ printf "%.1f", $1 / k / 1e6 }')
  echo "make $k oversized phone JPEGs (6000×8000 and 8064×6048, q95, EXIF; mean $input_mb MB) fit 10 MB at full resolution, one core:"
  local ssim_n=${SSIM:-$k}
  for tool in pf pf95 jo im; do
    local t label
    case $tool in
      pf) t=$t_pf; label="preflight fix (the profile's 10 MB budget)";;
      pf95) t=$t_pf95; label="preflight fix --max-bytes 9776000 (aims at 9500 KiB)";;
      jo) t=$t_jo; label="jpegoptim --size=9500 (KB)";;
      im) t=$t_im; label="ImageMagick convert -define jpeg:extent=9500kb";;
    esac
    local outs=("$tmp/ov-$tool"/*.jpg)
    local sizes
    sizes=$(stat -c %s "${outs[@]}" | awk -v k="$k" '{ s += $1; if ($1 > m) m = $1; if ($1 >= 10000000) over++ } END { printf "mean %.2f MB, largest %.2f MB, %d of %d over 10 MB", s / k / 1e6, m / 1e6, over + 0, k }')
    local pixels
    pixels=$(for o in "${outs[@]}"; do identify -format "%w %h\n" "$o"; done | awk '{ s += $1 * $2 } END { printf "%.1f MP", s / NR / 1e6 }')
    local ssim="-"
    if [ "$ssim_n" -gt 0 ]; then
      ssim=$(for ((i = 0; i < ssim_n; i++)); do python3 scripts/ssim.py "${photos[$i]}" "$tmp/ov-$tool/$(basename "${photos[$i]}")"; done \
        | awk '/^[0-9]/ { s += $1; n++; if (min == "" || $1 < min) min = $1 } /size differs/ { d++ } END { if (n) printf "%.4f (min %.4f)", s / n, min; if (d) printf ", %d resized", d }')
    fi
    printf "  %-50s %6.0f ms/photo  %s  %s  SSIM %s\n" "$label" "$(awk -v t="$t" -v k="$k" 'BEGIN { print t * 1000 / k }')" "$pixels" "$sizes" "$ssim"
  done
}
if [ "${ONLY:-}" = oversized ]; then oversized; exit 0; fi

files=($(ls bench-headshots/*.jpg | head -n "$n"))
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { printf "%.2f", b - a }'; }
loop_vips() { for f in "${files[@]}"; do VIPS_CONCURRENCY=1 vipsthumbnail "$f" --size 720x1280 --smartcrop attention -o "$tmp/vips-%s.jpg[Q=90,strip]"; done; }
loop_im() { for f in "${files[@]}"; do convert "$f" -auto-orient -resize '720x1280^' -gravity center -extent 720x1280 -strip -quality 90 "$tmp/im.jpg"; done; }
loop_ac() { for f in "${files[@]}"; do autocrop -w 720 -H 1280 -o "$tmp/ac-$(basename "$f")" "$f"; done; }
t_pf=$(seconds "$bin/preflight" fix --frame portrait --jobs 1 --out "$tmp/pf" "${files[@]}")
t_pf2=$(seconds "$bin/preflight" fix --frame portrait --out "$tmp/pf2" "${files[@]}")
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

if [ "${CORPUS:-200}" != 0 ]; then
files=($(ls bench-corpus/*.jpg | head -n "${CORPUS:-200}"))
loop_vips_centre() { for f in "${files[@]}"; do VIPS_CONCURRENCY=1 vipsthumbnail "$f" --size 720x1280 --smartcrop centre -o "$tmp/vc-%s.jpg[Q=90,strip]"; done; }
t_pf=$(seconds "$bin/preflight" fix --frame portrait --jobs 1 --rules Fixtures/format-only-rules.json --out "$tmp/pfc" "${files[@]}")
t_pf2=$(seconds "$bin/preflight" fix --frame portrait --rules Fixtures/format-only-rules.json --out "$tmp/pfc2" "${files[@]}")
t_vips=$(seconds loop_vips_centre)
t_im=$(seconds loop_im)
echo "fix ${#files[@]} faceless phone JPEGs (4032×3024) to 720×1280, face rules off: a centre crop (preflight wrote $(ls "$tmp/pfc" | wc -l)):"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix --jobs 1 --rules format-only" "$t_pf" "$(per "$t_pf")"
printf "  %-52s %7ss  %5s ms/photo\n" "preflight fix --rules format-only (all $(nproc) cores)" "$t_pf2" "$(per "$t_pf2")"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "vipsthumbnail --smartcrop centre (1 thread)" "$t_vips" "$(per "$t_vips")" "$(awk -v a="$t_vips" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
printf "  %-52s %7ss  %5s ms/photo  preflight --jobs 1 is %sx as fast\n" "ImageMagick convert -resize -extent -strip" "$t_im" "$(per "$t_im")" "$(awk -v a="$t_im" -v b="$t_pf" 'BEGIN { printf "%.2f", a / b }')"
fi
oversized
