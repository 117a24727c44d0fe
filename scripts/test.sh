#!/usr/bin/env bash
# Installs the system libraries, then builds with warnings as errors (debug and release) and runs `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -Xswiftc -warnings-as-errors -Xcc -Werror
swift build -c release --static-swift-stdlib -Xswiftc -warnings-as-errors -Xcc -Werror
swift test
