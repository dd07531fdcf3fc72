# SPEC §16: a journal input over real journal files (written by
# systemd-journal-remote) that keep growing while errwatchd runs. The
# directory appears only after the start (logged, then read from its
# oldest entry); another unit's entries are kept out by the units filter;
# the file is rotated by rename under the reader, and the oldest file is
# vacuumed; the counts per class are exact throughout, and `P stats`
# counts the journal's lines. A restart resumes after the stored cursor.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.inc"

write_jconfig
start_redis
start_daemon
wait_for 100 0.05 grep -q "journal units: cannot open $JDIR" \
    "$T/daemon.log" || fail "a missing directory is not logged"

gen --batches 16 --per-batch 150 --interval 0.1 --rotate-every 5
wait_for 50 0.1 grep -q "journal units: reading $JDIR" "$T/daemon.log" ||
	fail "the directory that appeared was not opened"
expect_truth
[ "$(count Punishment)" -gt 0 ] || fail "nothing counted"
n=$(ls "$JDIR"/*.journal | wc -l)
[ "$n" = 4 ] || fail "$n journal files, want 4 (3 rotated)"
grep -q "journal units: files added or removed" "$T/daemon.log" ||
	fail "rotation not logged"

# SPEC §7: the journal's lines are in the stats (plus one marker line)
wait_flushes 1
lines=$(rc HGET errwatch:stats:testhost lines)
[ "$lines" = $(($(truth unit_entries) + 1)) ] ||
	fail "stats lines $lines, want $(truth unit_entries) + 1"

# vacuum the oldest file under the reader, write on
rm -f "$(ls "$JDIR"/remote@*.journal | head -n 1)"
gen --batches 3 --per-batch 100 --interval 0.1
expect_truth

# a restart resumes after the stored cursor: nothing counted twice
stop_daemon
gen --batches 2 --per-batch 100
start_daemon
wait_for 50 0.1 grep -q "journal units: resuming after the stored cursor" \
    "$T/daemon.log" || fail "the cursor was not restored"
expect_truth
wait_flushes 2
expect_truth
stop_daemon
echo "journal_basic: all passed"
