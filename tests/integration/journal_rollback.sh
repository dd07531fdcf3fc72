# SPEC §8, §16: Redis restarted from an older snapshot. The journal
# input's cursor rolls back with the counts; errwatchd seeks back to the
# stored cursor and reads again, so the totals are exact again, and the
# entries read twice never reach the detector twice (no alert fires).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.inc"

# The writer is deterministic: 478 Punishment entries in all. Fed twice,
# the re-read entries (182 after the first rollback) would cross 520.
ALERTS='alerts:
  rules:
    - {match: Punishment, threshold: 520, window: 300s}'
mkdir -p "$JDIR"
write_jconfig
start_redis
start_daemon
gen --batches 3 --per-batch 200
expect_truth
rc SAVE >/dev/null
cp "$T/dump.rdb" "$T/snap.rdb"
before=$(rc HGET errwatch:offsets:testhost journal:units)
[ -n "$before" ] || fail "no cursor record stored"

# more flushes after the snapshot, with a rotation
gen --batches 4 --per-batch 200 --interval 0.1 --rotate-every 2
expect_truth
after=$(rc HGET errwatch:offsets:testhost journal:units)
[ "$after" != "$before" ] || fail "the cursor did not move"

kill_redis
cp "$T/snap.rdb" "$T/dump.rdb"
start_redis
expect_truth
wait_flushes 2
expect_truth

# second round: rolled back while entries are pending
rc SAVE >/dev/null
cp "$T/dump.rdb" "$T/snap.rdb"
gen --batches 2 --per-batch 200
expect_truth
kill_redis
gen --batches 2 --per-batch 150
cp "$T/snap.rdb" "$T/dump.rdb"
start_redis
expect_truth
wait_flushes 2
expect_truth
[ "$(truth Punishment)" = 478 ] || fail "the writer changed: $(truth Punishment)"
[ "$(rc XLEN errwatch:alerts)" = 0 ] || fail "a re-read faked an alert"
stop_daemon
echo "journal_rollback: all passed"
