# SPEC §6 rotation by rename: a writer keeps writing to the renamed file
# through its old descriptor for a second; the new file at the path is
# read from its first byte; nothing lost or counted twice, and the old
# file's descriptor goes once it has been quiet for rotate_wait.
. "$(dirname "$0")/lib.sh"

start_redis
ROTATE_WAIT=1s write_config
burst 100 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 100

# The writer's descriptor outlives the rename (as a daemon that reopens
# its log only on SIGHUP): 50 lines before it, 10 x 20 over a second
# after it. app.log.1 does not match *.log: only the open descriptor
# reads it.
exec 3>>"$LOGS/app.log"
burst 50 461 Punishment b >&3
mv "$LOGS/app.log" "$LOGS/app.log.1"
for r in $(seq 1 10); do
	burst 20 461 Punishment "c$r-" >&3
	sleep 0.1
done
exec 3>&-
t_last=$(date +%s%N)
holds_fd "$LOGS/app.log.1" || fail "app.log.1 closed before rotate_wait"
burst 30 473 ServiceUnavailable d > "$LOGS/app.log"
expect_count Punishment 350
expect_count ServiceUnavailable 30

# Closed once quiet for rotate_wait (1 s), read at the next flush after.
wait_for 50 0.1 no_fd_on "$LOGS/app.log.1" ||
	fail "app.log.1 still open 5 s after its last write"
ms=$(( ($(date +%s%N) - t_last) / 1000000 ))
echo "rotated file closed ${ms} ms after its last write (rotate_wait 1000)"
[ $ms -ge 1000 ] || fail "closed after ${ms} ms, before rotate_wait"
holds_fd "$LOGS/app.log" || fail "the new app.log is not open"
[ "$(rc HGET errwatch:stats:testhost rotations)" = 1 ] ||
	fail "stats rotations $(rc HGET errwatch:stats:testhost rotations), want 1"

# Still exact after the close, and after a restart from the offsets.
burst 5 473 ServiceUnavailable e >> "$LOGS/app.log"
expect_count ServiceUnavailable 35
stop_daemon
start_daemon
burst 5 473 ServiceUnavailable f >> "$LOGS/app.log"
expect_count ServiceUnavailable 40
[ "$(count Punishment)" = 350 ] || fail "Punishment $(count Punishment) after restart, want 350"
stop_daemon
echo "follow_rename: all passed"
