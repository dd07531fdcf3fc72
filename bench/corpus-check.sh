#!/usr/bin/env bash
# bench/corpus-check.sh BUILD_DIR FORMAT SEED LINES [ERROR_RATE]
#
# Generates LINES lines of FORMAT (logfmt, json, access) with ew-gen and
# seed SEED, runs `errwatchd --scan --json -c bench/FORMAT.yaml` over them
# and compares its counts with ew-gen's truth exactly (elapsed_s aside).
# Exit 0 when equal; 1 otherwise (usage, a missing binary, a failed run, or
# a difference, printed key by key). ERROR_RATE defaults to 0.02; a small
# corpus checks more cases with a higher one (0.3).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")

if [ $# -lt 4 ] || [ $# -gt 5 ]; then
	echo "usage: bench/corpus-check.sh BUILD_DIR FORMAT SEED LINES [ERROR_RATE]" >&2
	exit 1
fi
build=$1 fmt=$2 seed=$3 lines=$4 rate=${5:-0.02}
cfg=$here/$fmt.yaml
for f in "$build/ew-gen" "$build/errwatchd"; do
	if [ ! -x "$f" ]; then
		echo "corpus-check: $f: not built" >&2
		exit 1
	fi
done
if [ ! -f "$cfg" ]; then
	echo "corpus-check: no config for format $fmt ($cfg)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ew-corpus.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$build/ew-gen" --format "$fmt" --lines "$lines" --seed "$seed" \
    --error-rate "$rate" --table "$root/data/error-codes.tsv" \
    --truth "$tmp/truth.json" -o "$tmp/corpus.log"
rc=0
"$build/errwatchd" --scan --json -c "$cfg" "$tmp/corpus.log" \
    >"$tmp/out.json" 2>"$tmp/err" || rc=$?
if [ "$rc" -ne 0 ]; then
	echo "corpus-check: errwatchd --scan exited $rc" >&2
	cat "$tmp/err" >&2
	exit 1
fi

python3 - "$tmp/truth.json" "$tmp/out.json" "$fmt" "$seed" "$lines" <<'EOF'
import json, sys
truth_path, out_path, fmt, seed, lines = sys.argv[1:6]
truth = json.load(open(truth_path))
try:
    got = json.load(open(out_path))
except ValueError as e:
    print("corpus-check: errwatchd printed no JSON: %s" % e)
    print(open(out_path).read()[:2000])
    sys.exit(1)
got.pop("elapsed_s", None)
if got == truth:
    print("corpus-check: %s seed %s, %s lines: %d matched, counts exact"
          % (fmt, seed, lines, truth["matched"]))
    sys.exit(0)
print("corpus-check: %s seed %s, %s lines: counts differ (errwatchd vs truth)"
      % (fmt, seed, lines))
for k in sorted(set(got) | set(truth)):
    if k in ("counts", "unclassified"):
        continue
    if got.get(k) != truth.get(k):
        print("  %-28s %12s %12s" % (k, got.get(k), truth.get(k)))
for sect in ("counts", "unclassified"):
    g, t = got.get(sect) or {}, truth.get(sect) or {}
    if not isinstance(g, dict):
        print("  %s: not an object: %r" % (sect, g))
        continue
    for k in sorted(set(g) | set(t)):
        if g.get(k) != t.get(k):
            print("  %-28s %12s %12s" % (sect + "." + k, g.get(k), t.get(k)))
sys.exit(1)
EOF
