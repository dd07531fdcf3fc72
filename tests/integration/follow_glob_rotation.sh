# SPEC §6 identity: a rotated file that still matches the glob (paths
# app.log*; app.log -> app.log.1 -> app.log.2, as logrotate shifts them)
# is recognised as the file already followed and never read twice.
. "$(dirname "$0")/lib.sh"

start_redis
PATHS="$LOGS/app.log*" write_config
SYNC_LOG=$LOGS/app.log-sync
burst 40 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 40
want=40
for r in 1 2 3 4; do
	[ -e "$LOGS/app.log.2" ] && rm "$LOGS/app.log.2"
	[ -e "$LOGS/app.log.1" ] && mv "$LOGS/app.log.1" "$LOGS/app.log.2"
	exec 3>>"$LOGS/app.log"
	mv "$LOGS/app.log" "$LOGS/app.log.1"
	burst 10 461 Punishment "old$r-" >&3	# the writer, late
	exec 3>&-
	burst $((20 + r)) 461 Punishment "new$r-" > "$LOGS/app.log"
	want=$((want + 10 + 20 + r))
	expect_count Punishment $want
	wait_flushes 2	# a rescan may see the renamed files meanwhile
done
wait_flushes 6	# 1.2 s: a rescan (1 s) over the rotated names
[ "$(count Punishment)" = $want ] || fail "Punishment $(count Punishment), want $want"
stop_daemon
# A restart knows every file by its stored record.
start_daemon
burst 3 473 ServiceUnavailable z >> "$LOGS/app.log"
expect_count ServiceUnavailable 3
[ "$(count Punishment)" = $want ] || fail "after restart: Punishment $(count Punishment), want $want"
stop_daemon
echo "follow_glob_rotation: all passed"
