#!/usr/bin/env bash
# Installs the system libraries, builds preflight and checks the bundled fixture photos.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build-release.sh -q
echo "$ preflight check Fixtures/eval        # real-face photos: the labelled face and light set"
status=0
.build/release/preflight check Fixtures/eval || status=$?
echo "(exit code $status: 1 means some photos fail, as most of the set is made to)"
echo
echo "$ preflight check --rules Fixtures/format-only-rules.json Fixtures/photos   # format and decoding cases"
.build/release/preflight check --rules Fixtures/format-only-rules.json Fixtures/photos || true
echo
out=$(mktemp -d)
echo "$ preflight fix Fixtures/eval --out $out   # repaired copies of what can be repaired; originals untouched"
.build/release/preflight fix Fixtures/eval --out "$out" || true
