#!/usr/bin/env bash
# Release build, warnings as errors: `preflight` and `pp-fixtures` with the Swift runtime linked
# statically (they start in a few milliseconds and need only libc, libjpeg and libpng), and the
# `preflight-upload` helper linked dynamically (Foundation's networking, which links statically
# only with libcurl's development files and a linker warning), copied beside `preflight`.
# Usage: scripts/build-release.sh [extra swift build flags]
set -euo pipefail
cd "$(dirname "$0")/.."
strict=(-Xswiftc -warnings-as-errors -Xcc -Werror)
swift build -c release --static-swift-stdlib --product preflight "${strict[@]}" "$@"
swift build -c release --static-swift-stdlib --product pp-fixtures "${strict[@]}" "$@"
swift build -c release --scratch-path .build/dynamic --product preflight-upload "${strict[@]}" "$@"
install -m 755 .build/dynamic/release/preflight-upload .build/release/preflight-upload
