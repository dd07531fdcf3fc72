# SPEC §16: a truncated (corrupt) journal file beside good ones.
# sd-journal skips it without a word; errwatchd names it in one log line
# (never again) and counts the other files exactly, while they grow. The
# same file is named by --scan.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.inc"

write_jconfig
start_redis
gen --batches 2 --per-batch 300
start_daemon
expect_truth

# a copy of the good file, truncated: its entries would double the
# counts if they were read
cp "$JDIR/remote.journal" "$T/bad.journal"
truncate -s 100000 "$T/bad.journal"
mv "$T/bad.journal" "$JDIR/bad.journal"
gen --batches 4 --per-batch 200 --interval 0.2
wait_for 50 0.1 grep -q "journal units: $JDIR/bad.journal cannot be read" \
    "$T/daemon.log" || fail "the truncated file is not named"
expect_truth
wait_flushes 5
expect_truth
n=$(grep -c "bad.journal cannot be read" "$T/daemon.log")
[ "$n" = 1 ] || fail "the truncated file is named $n times, want once"
stop_daemon

"$EW_BIN" --scan -c "$CFG" --input units > "$T/scan.out" 2> "$T/scan.err" ||
	fail "--scan failed"
grep -q "bad.journal cannot be read" "$T/scan.err" ||
	fail "--scan does not name the truncated file"
grep -q "^Punishment .* $(truth Punishment)\$" "$T/scan.out" ||
	fail "--scan: $(cat "$T/scan.out")"
echo "journal_corrupt: all passed"
