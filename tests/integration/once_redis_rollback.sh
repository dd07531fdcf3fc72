# SPEC §8: Redis restarted from an older snapshot. Counts and offsets roll
# back together; errwatchd sees on reconnect that the stored offsets are
# not the ones it left (or gets CONFLICT from a flush), seeks its files
# back to them and reads again: the totals come out exact, with no new
# line needed, and again after more lines.
. "$(dirname "$0")/lib.sh"

write_config
start_redis
for i in $(seq 1 100); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon
expect_count Punishment 100
expect_offsets
rc SAVE >/dev/null
cp "$T/dump.rdb" "$T/snap.rdb"

# More flushes after the snapshot, a new file, a rotation.
for i in $(seq 1 50); do line 461 Punishment "b$i"; done >> "$LOGS/a.log"
expect_count Punishment 150
mv "$LOGS/a.log" "$LOGS/a.1.log"
for i in $(seq 1 30); do line 473 ServiceUnavailable "c$i"; done > "$LOGS/a.log"
for i in $(seq 1 20); do line 500 InternalError "d$i"; done > "$LOGS/b.log"
expect_count ServiceUnavailable 30
expect_count InternalError 20
expect_offsets

kill_redis
cp "$T/snap.rdb" "$T/dump.rdb"
start_redis
expect_count Punishment 150
expect_count ServiceUnavailable 30
expect_count InternalError 20
expect_offsets
grep -q "re-reading from them" "$T/daemon.log" || fail "rollback not logged"

# Second round: a rollback found by a flush's CONFLICT (lines pending
# when Redis comes back).
rc SAVE >/dev/null
cp "$T/dump.rdb" "$T/snap.rdb"
for i in $(seq 1 40); do line 461 Punishment "e$i"; done >> "$LOGS/a.1.log"
expect_count Punishment 190
kill_redis
for i in $(seq 1 10); do line 473 ServiceUnavailable "f$i"; done >> "$LOGS/a.log"
cp "$T/snap.rdb" "$T/dump.rdb"
start_redis
expect_count Punishment 190
expect_count ServiceUnavailable 40
expect_count InternalError 20
expect_offsets
stop_daemon
echo "once_redis_rollback: all passed"
