#!/usr/bin/env bash
# Fetches photos of real people that a package ships, for the second labelled set: the test
# images in the `face_recognition` 1.3.0 source package on PyPI (official portraits of Barack
# Obama and Joe Biden). They are not committed: they land in the git-ignored Fixtures/fetched/,
# checked against the SHA-256 sums below, and `pp-fixtures realset` derives the labelled set
# Fixtures/fetched/real/ (originals, defect variants, labels.tsv) from them.
# Usage: scripts/fetch-photos.sh [PP_FIXTURES_BINARY]   (default: builds and uses .build/debug)
set -euo pipefail
cd "$(dirname "$0")/.."
dest=Fixtures/fetched
src=$dest/face_recognition
bin=${1:-}

sums() {
  cat <<'SUMS'
3c17508bb91554c637a2eabddfae790e5bb1caba93130814fc2ac50be9760c4c  biden.jpg
0930e3aa8cae5920329c0c8cbc6a2ab70f47b0e67b432875beaa95cbf7e741f6  obama.jpg
a7efcc907375274796f39646510704aa86672d59f6d5469d69af3c85590976a6  obama2.jpg
76ac6bf97c36dc2da0ad16a537d6a5ac1b10f48d49aac29a0cca9a17cdbc3ca3  obama3.jpg
c2d1f09e7ef3042352b41e41286e6eb0522f64f88308be13886991b95db52117  obama_partial_face.jpg
9a812347f97633542b8cd9992de22def11b74f79d82056bc3ee830f13878e028  obama_partial_face2.jpg
SUMS
}

if ! (cd "$src" 2>/dev/null && sums | sha256sum -c --quiet - >/dev/null 2>&1); then
  if ! python3 -m pip --version >/dev/null 2>&1; then
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pip
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "fetch-photos: downloading face_recognition 1.3.0 (source package, 3 MB) from PyPI…"
  python3 -m pip download --quiet --no-deps --no-binary :all: --dest "$tmp" face_recognition==1.3.0 >/dev/null
  echo "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec  $tmp/face_recognition-1.3.0.tar.gz" | sha256sum -c --quiet -
  tar -xzf "$tmp/face_recognition-1.3.0.tar.gz" -C "$tmp" face_recognition-1.3.0/tests/test_images
  mkdir -p "$src"
  cp "$tmp"/face_recognition-1.3.0/tests/test_images/*.jpg "$src/"
  (cd "$src" && sums | sha256sum -c --quiet -)
fi
if [ -z "$bin" ]; then
  swift build -q --product pp-fixtures
  bin=.build/debug/pp-fixtures
fi
# The derived set is rebuilt every time (about a second), so it always matches pp-fixtures.
rm -rf "$dest/real"
"$bin" realset "$src" "$dest/real"
echo "fetch-photos: $(grep -vc '^#' "$dest/real/labels.tsv") labelled photos in $dest/real"
