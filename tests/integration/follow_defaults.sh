# The default intervals (flush_interval 500ms, rotate_wait 5s) with a
# rename rotation whose writer keeps the old descriptor for a second:
# exact, and the old file closed once quiet for 5 s.
. "$(dirname "$0")/lib.sh"

start_redis
FLUSH=500ms ROTATE_WAIT=5s write_config
burst 200 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 200

exec 3>>"$LOGS/app.log"
mv "$LOGS/app.log" "$LOGS/app.log.1"
for r in $(seq 1 10); do
	burst 10 461 Punishment "old$r-" >&3
	sleep 0.1
done
exec 3>&-
t_last=$(date +%s%N)
burst 50 473 ServiceUnavailable b > "$LOGS/app.log"
expect_count Punishment 300
expect_count ServiceUnavailable 50
holds_fd "$LOGS/app.log.1" || fail "app.log.1 closed before rotate_wait"
wait_for 70 0.1 no_fd_on "$LOGS/app.log.1" ||
	fail "app.log.1 still open 7 s after its last write"
ms=$(( ($(date +%s%N) - t_last) / 1000000 ))
echo "rotated file closed ${ms} ms after its last write (rotate_wait 5000)"
[ $ms -ge 5000 ] || fail "closed after ${ms} ms, before rotate_wait"
[ "$(count Punishment)" = 300 ] || fail "Punishment $(count Punishment)"
stop_daemon
echo "follow_defaults: all passed"
