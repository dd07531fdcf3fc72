# SPEC §16: --scan and --once on a journal input. --scan --input NAME
# with no FILE reads the whole journal of the matched unit: 100,000
# entries, counts equal to the truth. --once reads from the stored
# cursor to the end, each run adding exactly what was written since;
# when the entry at the stored cursor was vacuumed, that is logged and
# reading goes on from the oldest entry after it, losing nothing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.inc"

write_jconfig
gen --per-batch 100000
out=$("$EW_BIN" --scan -c "$CFG" --input units --json)
python3 - "$out" "$TRUTH" <<'PY' || fail "--scan differs from the truth: $out"
import json, sys
got = json.loads(sys.argv[1])
truth = dict(l.split() for l in open(sys.argv[2]))
for c in ("Punishment", "ServiceUnavailable", "InternalError"):
    assert got["counts"][c] == int(truth[c]), c
assert len(got["counts"]) == 3, got["counts"]
assert got["lines"] == int(truth["unit_entries"]), got["lines"]
PY
echo "--scan: 100000 entries, $(truth unit_entries) of the unit, exact"

start_redis
"$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || fail "--once failed"
expect_truth
gen --batches 2 --per-batch 300
"$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || fail "--once failed"
expect_truth
"$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || fail "--once failed"
expect_truth

# vacuum the file that holds the stored cursor: rotated away, then gone
mv "$JDIR/remote.journal" "$JDIR/remote@000001-0.journal"
gen --batches 2 --per-batch 300
rm -f "$JDIR/remote@000001-0.journal"
"$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || fail "--once failed"
grep -q "journal units: the stored cursor is no longer in" \
    "$T/daemon.log" || fail "a vacuumed cursor is not logged"
expect_truth
echo "journal_scan_once: all passed"
