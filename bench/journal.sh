#!/usr/bin/env bash
# bench/journal.sh [BUILD_DIR] [ENTRIES]: entries per second errwatchd
# counts from the systemd journal on one core (SPEC §16).
#
# Writes ENTRIES (default 1,000,000) journal entries with Debian's
# systemd-journal-remote (tests/integration/journal_gen.py: real journal
# files; half the entries carry a platform code, a fifth belong to
# another unit), warms them into the page cache, then times, best of
# RUNS (3) each, in the same run:
#
#   errwatchd --scan --json --input units        (sd-journal, in process)
#   journalctl -D DIR -o cat _SYSTEMD_UNIT=U | errwatchd --scan --json
#   journalctl -D DIR -o cat _SYSTEMD_UNIT=U | rg -c -j1 PATTERN
#
# errwatchd's counts must equal the writer's truth exactly in both rows,
# and rg's matched lines the truth's. Prints entries/s of each row and
# errwatchd's ratio to the other two; exit 0 when the counts are exact.
# The two pipelines run on two cores (journalctl and the counter); the
# first row is one process on one core.
set -euo pipefail

name=journal.sh
build=${1:-build}
entries=${2:-1000000}
runs=${RUNS:-3}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
. "$here/lib.sh"

remote=/lib/systemd/systemd-journal-remote
[ -x "$remote" ] || { note "$name: $remote missing (apt-get install systemd-journal-remote)"; exit 1; }
command -v rg >/dev/null || { note "$name: rg missing (apt-get install ripgrep)"; exit 1; }

unit=game-gateway.service
pattern='\bcode=(?<code>\d{3,4})\b(?:.*?\bname=(?<name>[A-Za-z]+))?'
rgpattern='\bcode=(?P<code>\d{3,4})\b(?:.*?\bname=(?P<name>[A-Za-z]+))?'
jdir=$tmp/journal
mkdir -p "$jdir"
cat > "$tmp/journal.yaml" <<YAML
table: $root/data/error-codes.tsv
inputs:
  - name: units
    journal: {units: [$unit], directory: $jdir}
    patterns: ['$pattern']
YAML
cat > "$tmp/stdin.yaml" <<YAML
table: $root/data/error-codes.tsv
inputs:
  - name: stdin
    paths: ["/nonexistent/*.log"]
    patterns: ['$pattern']
YAML

note "$name: writing $entries entries with systemd-journal-remote"
per=$((entries < 200000 ? entries : 200000))
python3 "$root/tests/integration/journal_gen.py" "$jdir/remote.journal" \
    --batches $((entries / per)) --per-batch "$per" --truth "$tmp/truth" \
    --class 461:Punishment --class 473:ServiceUnavailable \
    --class 500:InternalError --noise 2 \
    --other-unit other.service --other-every 5 --unit "$unit"
truth() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$tmp/truth"; }
total=$(truth entries)
uentries=$(truth unit_entries)
matched=$(awk '$1 !~ /^other:|entries$/ { s += $2 } END { print s }' "$tmp/truth")
note "$name: $total entries ($(du -sh "$jdir" | cut -f1)), $uentries of $unit, $matched with a code"
cat "$jdir"/*.journal > /dev/null	# warm

# check_json JSON: the counts equal the truth's.
check_json() {
	python3 - "$1" "$tmp/truth" <<'PY'
import json, sys
got = json.loads(sys.argv[1])["counts"]
truth = {k: int(v) for k, v in (l.split() for l in open(sys.argv[2]))
         if not k.startswith("other:") and not k.endswith("entries")}
sys.exit(0 if got == truth else "counts %s, truth %s" % (got, truth))
PY
}

# best CMD: the fastest of $runs runs, seconds; the last run's output
# in $tmp/out
best() {
	local i t0 t1 b=""
	for ((i = 0; i < runs; i++)); do
		t0=$(date +%s.%N)
		bash -c "$1" > "$tmp/out"
		t1=$(date +%s.%N)
		b=$(python3 -c "import sys; a, b, c = sys.argv[1:]; t = float(b) - float(a); print(t if c == '' or t < float(c) else c)" "$t0" "$t1" "$b")
	done
	echo "$b"
}

ok=0
t_ew=$(best "'$ewd' --scan --json -q -c '$tmp/journal.yaml' --input units")
check_json "$(cat "$tmp/out")" || { note "errwatchd --scan --input: counts differ"; ok=1; }
t_pipe=$(best "journalctl -q -D '$jdir' -o cat _SYSTEMD_UNIT=$unit | '$ewd' --scan --json -q -c '$tmp/stdin.yaml'")
check_json "$(cat "$tmp/out")" || { note "journalctl | errwatchd --scan: counts differ"; ok=1; }
t_rg=$(best "journalctl -q -D '$jdir' -o cat _SYSTEMD_UNIT=$unit | rg -c -j1 '$rgpattern'")
out=$(cat "$tmp/out")
[ "$out" = "$matched" ] || { note "journalctl | rg -c: $out, want $matched"; ok=1; }

python3 - "$uentries" "$t_ew" "$t_pipe" "$t_rg" <<'PY'
import sys
n = int(sys.argv[1])
ew, pipe, rg = (float(x) for x in sys.argv[2:])
print("%-52s %10s %14s" % ("what (%d entries of the unit)" % n, "seconds", "entries/s"))
for what, t in (("errwatchd --scan --input (sd-journal)", ew),
                ("journalctl -o cat | errwatchd --scan", pipe),
                ("journalctl -o cat | rg -c -j1", rg)):
    print("%-52s %10.3f %14.0f" % (what, t, n / t))
print("errwatchd --scan --input: %.2fx journalctl | errwatchd --scan, "
      "%.2fx journalctl | rg -c" % (pipe / ew, rg / ew))
PY
exit $ok
