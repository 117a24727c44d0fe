#!/usr/bin/env bash
# Byte-for-byte comparison of two builds' reports, for changes that must not change results
# (optimisations, refactors, new decoders):
#
#   scripts/compare-builds.sh OLD_PREFLIGHT NEW_PREFLIGHT [SET...]
#
# Runs `check --format json` with each binary on each set (default: Fixtures/eval,
# Fixtures/photos, Fixtures/fetched/real, bench-headshots, bench-corpus, those that exist), with
# the built-in rules and with the face rules off, and says "identical" or shows the first
# differences. IGNORE=REGEX drops matching lines from both reports first (a key one build adds).
# Exits 1 when any report differs.
set -euo pipefail
cd "$(dirname "$0")/.."
old=$1 new=$2
shift 2
sets=("$@")
[ ${#sets[@]} -gt 0 ] || for s in Fixtures/eval Fixtures/photos Fixtures/fetched/real bench-headshots bench-corpus; do
  [ -d "$s" ] && sets+=("$s")
done
ignore=${IGNORE:-^$^}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0
for s in "${sets[@]}"; do
  for rules in "" "--rules Fixtures/format-only-rules.json"; do
    # shellcheck disable=SC2086
    "$old" check $rules --format json "$s" 2>/dev/null | grep -Ev "$ignore" >"$work/old.json" || true
    # shellcheck disable=SC2086
    "$new" check $rules --format json "$s" 2>/dev/null | grep -Ev "$ignore" >"$work/new.json" || true
    label="$s${rules:+ (face rules off)}"
    if cmp -s "$work/old.json" "$work/new.json"; then
      echo "identical: $label, $(grep -c '"verdict" :' "$work/new.json") files"
    else
      echo "DIFFERENT: $label"
      diff "$work/old.json" "$work/new.json" | head -20
      status=1
    fi
  done
done
exit $status
