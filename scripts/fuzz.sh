#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers and decoders with libFuzzer and AddressSanitizer.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Builds Sources/pp-fuzz with -sanitize=fuzzer,address into .build-fuzz/, then runs each target
# (default: all of probe exif icc jpeg png rules onnx) for SECONDS (default 60), starting from the
# committed seeds in Fixtures/fuzz/TARGET and keeping what it finds in fuzz-corpus/TARGET
# (git-ignored), so a longer or later run carries on where the last one stopped. An input that
# crashes, leaks, times out (10 s) or takes more than 2 GB is saved in fuzz-crashes/ and makes
# the script fail. Replay one in an ordinary build with `.build/debug/pp-fuzz TARGET FILE`.
# `PP_FUZZ_JOBS=N` runs N targets at once (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(probe exif icc jpeg png rules onnx)
jobs=${PP_FUZZ_JOBS:-1}

scripts/install-deps.sh
swift build -c release --product pp-fuzz --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -DFUZZING -Xcc -fsanitize=fuzzer-no-link,address \
  -Xswiftc -Xclang-linker -Xswiftc -fuse-ld=lld 2>&1 | grep -E "error|warning|Compiling|Build" | tail -3
fuzzer=.build-fuzz/release/pp-fuzz
mkdir -p fuzz-crashes

run() {
  local t=$1
  mkdir -p "fuzz-corpus/$t"
  # libFuzzer writes new inputs into the first folder and only reads the others.
  if PP_FUZZ_TARGET=$t ASAN_OPTIONS=detect_leaks=1 "$fuzzer" -max_total_time="$seconds" -timeout=10 \
       -rss_limit_mb=2048 -max_len=262144 -print_final_stats=1 -artifact_prefix="fuzz-crashes/$t-" \
       "fuzz-corpus/$t" "Fixtures/fuzz/$t" >"fuzz-corpus/$t.log" 2>&1; then
    local runs cov
    runs=$(awk '/stat::number_of_executed_units/ { print $2 }' "fuzz-corpus/$t.log")
    cov=$(grep -oE 'cov: [0-9]+' "fuzz-corpus/$t.log" | tail -1)
    echo "ok   $t: ${runs:-?} runs in ${seconds} s, ${cov:-cov: ?}, corpus $(ls "fuzz-corpus/$t" | wc -l) inputs"
  else
    echo "FAIL $t: see fuzz-corpus/$t.log and fuzz-crashes/$t-*"
    grep -E "ERROR|SUMMARY|Test unit written" "fuzz-corpus/$t.log" | head -5
    return 1
  fi
}

status=0
running=0
for t in "${targets[@]}"; do
  run "$t" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
