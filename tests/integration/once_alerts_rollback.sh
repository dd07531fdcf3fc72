# SPEC §8, last paragraph: a Redis rollback loses the alert events and
# `P alerts:active` entries of the lost flushes while the daemon believes
# they are there. A Punishment spike fires; Redis is restarted from a
# snapshot taken before the alert; after the CONFLICT the first flush
# writes the firing alert back into alerts:active (the same JSON), the
# counts are exact again, and the resolve later removes it: exactly one
# stream entry (the resolved one; the firing one was in the lost flushes).
. "$(dirname "$0")/lib.sh"

start_redis
write_config
cat >> "$CFG" <<YAML
alerts:
  rules:
    - {match: Punishment, threshold: 20, window: 10s, severity: critical}
YAML
: > "$LOGS/game.log"
start_daemon

# Ten lines, counted, saved: the snapshot has no alert.
for i in $(seq 1 10); do line 461 Punishment "a$i"; done >> "$LOGS/game.log"
expect_count Punishment 10
expect_offsets
rc SAVE > /dev/null
cp "$T/dump.rdb" "$T/snap.rdb"

# Ten more cross the level: firing, in the stream and alerts:active.
for i in $(seq 1 10); do line 461 Punishment "b$i"; done >> "$LOGS/game.log"
expect_count Punishment 20
active_is_set() {
	[ "$(rc HEXISTS errwatch:alerts:active Punishment@testhost)" = 1 ]
}
wait_for 50 0.1 active_is_set || fail "no firing alert"
[ "$(rc XLEN errwatch:alerts)" = 1 ] || fail "XLEN $(rc XLEN errwatch:alerts)"
active=$(rc HGET errwatch:alerts:active Punishment@testhost)

# The rollback: Redis comes back from the snapshot.
kill_redis
cp "$T/snap.rdb" "$T/dump.rdb"
start_redis
# (The daemon may already be back on it: the snapshot's lack of the
# alert shows below, in the stream that stays empty.)

# Within a few flushes: counts exact, the alert written back as it was.
expect_count Punishment 20
expect_offsets
wait_for 50 0.1 active_is_set || fail "alerts:active not written back"
[ "$(rc HGET errwatch:alerts:active Punishment@testhost)" = "$active" ] ||
	fail "alerts:active differs: $(rc HGET errwatch:alerts:active \
	    Punishment@testhost), was $active"
[ "$(rc HLEN errwatch:alerts:active)" = 1 ] || fail "alerts:active: \
$(rc HGETALL errwatch:alerts:active)"
[ "$(rc XLEN errwatch:alerts)" = 0 ] || fail "the lost event came back"
grep -q "re-reading from them" "$T/daemon.log" || fail "rollback not logged"

# The resolve removes it, once.
stream_has_1() {
	[ "$(rc XLEN errwatch:alerts)" = 1 ]
}
wait_for 400 0.1 stream_has_1 || fail "no resolve"
rc XRANGE errwatch:alerts - + | grep -qx resolved || fail "not resolved"
[ "$(rc HEXISTS errwatch:alerts:active Punishment@testhost)" = 0 ] ||
	fail "alerts:active kept the field after the resolve"
[ "$(count Punishment)" = 20 ] || fail "count $(count Punishment)"
stop_daemon
[ "$(rc XLEN errwatch:alerts)" = 1 ] || fail "XLEN $(rc XLEN errwatch:alerts)"
echo "once_alerts_rollback: all passed"
