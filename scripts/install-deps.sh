#!/usr/bin/env bash
# Installs the system libraries PhotoPreflight links against (Debian/Ubuntu). Idempotent.
# The Swift 6 toolchain itself is expected on PATH (swift.org builds or the distribution's).
set -euo pipefail
# libjpeg-turbo-progs: jpegtran, the reference the lossless rewriter is tested against.
packages=(libjpeg-dev libpng-dev zlib1g-dev pkg-config opencv-data libcurl4 libjpeg-turbo-progs)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}"
fi
command -v swift >/dev/null || { echo "swift is not on PATH: install a Swift 6 toolchain (https://www.swift.org/install/linux/)" >&2; exit 1; }
# The face model (YuNet), pinned and checksummed, into the folder preflight looks in.
"$(dirname "$0")/fetch-models.sh"
