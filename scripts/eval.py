#!/usr/bin/env python3
"""Per-rule precision and recall of preflight's face and light rules on the labelled set.
Usage: scripts/eval.py [PREFLIGHT] [SET_DIR...] (default .build/release/preflight, and Fixtures/eval
plus Fixtures/fetched/real when scripts/fetch-photos.sh has fetched it). Reads each set's labels.tsv:
each photo's expected verdict and the rule that must fire. A rule "fires" on a photo when it
reports an error (fail) or, for photos labelled warn, a warning. Precision: of the photos where the
rule fired, the share labelled with that rule; recall: of the photos labelled with the rule, the
share where it fired. Also checks the two goals: no good photo fails, no defect passes."""
import json, os, subprocess, sys, collections

binary = sys.argv[1] if len(sys.argv) > 1 else ".build/release/preflight"
sets = sys.argv[2:] or [d for d in ("Fixtures/eval", "Fixtures/fetched/real") if os.path.exists(d + "/labels.tsv")]
labels = {}
for d in sets:
    for line in open(d + "/labels.tsv"):
        if line.startswith("#") or not line.strip():
            continue
        f, verdict, rule, _ = line.rstrip("\n").split("\t")
        labels[d + "/" + f] = (verdict, rule)
out = subprocess.run([binary, "check", "--format", "json", *sets], capture_output=True, text=True)
report = json.loads(out.stdout)
fired = collections.defaultdict(set)
verdicts = {}
print("sets: " + ", ".join(sets))
for entry in report["files"]:
    name = entry["path"]
    verdicts[name] = entry["verdict"]
    label = labels.get(name, ("?", "-"))
    for finding in entry["findings"]:
        if finding["severity"] == "error" or (label[0] == "warn" and finding["severity"] == "warning"):
            fired[finding["rule"]].add(name)
rules = sorted({r for _, r in labels.values() if r != "-"} | set(fired))
print(f"{'rule':22} {'labelled':>8} {'fired':>6} {'hit':>4} {'precision':>10} {'recall':>7}")
for rule in rules:
    truth = {f for f, (_, r) in labels.items() if r == rule}
    got = fired.get(rule, set())
    hit = len(truth & got)
    precision = f"{hit / len(got):.2f}" if got else "-"
    recall = f"{hit / len(truth):.2f}" if truth else "-"
    print(f"{rule:22} {len(truth):8} {len(got):6} {hit:4} {precision:>10} {recall:>7}")
good_failed = [f for f, (v, _) in labels.items() if v in ("pass", "warn") and verdicts.get(f) in ("fail", "fixable")]
defect_passed = [f for f, (v, _) in labels.items() if v == "fail" and verdicts.get(f) in ("pass", "warn")]
wrong = [f for f, (v, r) in labels.items() if v == "fail" and f not in fired.get(r, set())]
print(f"\n{len(labels)} photos; good photos that fail: {good_failed or 'none'}; defects that pass: {defect_passed or 'none'}; "
      f"defects not reported by their own rule: {wrong or 'none'}")
sys.exit(1 if good_failed or defect_passed or wrong else 0)
