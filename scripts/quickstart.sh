#!/usr/bin/env bash
# Installs the system libraries, builds preflight and checks the bundled fixture photos.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release -q --static-swift-stdlib --product preflight
echo "$ preflight check Fixtures/photos"
status=0
.build/release/preflight check Fixtures/photos || status=$?
echo "(exit code $status: 1 means some photos fail, as several fixtures are made to)"
