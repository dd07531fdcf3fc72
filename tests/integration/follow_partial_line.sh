# SPEC §6: a last line without "\n" is held until its newline comes; when
# its file is rotated away or deleted it counts once, after rotate_wait.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
burst 10 473 ServiceUnavailable a > "$LOGS/app.log"
start_daemon
expect_count ServiceUnavailable 10

# Held, not counted, while the file is followed at its path.
printf 'ts=1 level=error code=461 name=Punishment' >> "$LOGS/app.log"
burst 1 473 ServiceUnavailable b > "$LOGS/other.log"
expect_count ServiceUnavailable 11
wait_flushes 2	# two more flushes read the file: still held
[ "$(count Punishment)" = 0 ] || fail "the partial line counted early"

# Rotated away (app.log.1 matches no glob), a new app.log: the partial
# line counts once, after rotate_wait.
mv "$LOGS/app.log" "$LOGS/app.log.1"
burst 3 500 InternalError c > "$LOGS/app.log"
t0=$(date +%s%N)
expect_count InternalError 3
expect_count Punishment 1
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
echo "rotated partial line counted after ${ms} ms (rotate_wait 1000)"
wait_for 50 0.1 no_fd_on "$LOGS/app.log.1" || fail "app.log.1 still open"

# A partial line completed by its newline is one line, not two.
printf 'ts=2 level=error code=401 ' >> "$LOGS/app.log"
wait_flushes 2	# a flush has seen the half line
printf 'name=AuthFailure\n' >> "$LOGS/app.log"
expect_count AuthFailure 1

# Deleted with a partial line: counts once too.
printf 'ts=3 level=error code=461 name=Punishment' >> "$LOGS/other.log"
wait_flushes 2
rm "$LOGS/other.log"
expect_count Punishment 2
wait_for 50 0.1 no_fd_on "$LOGS/other.log (deleted)" || fail "other.log still open"
[ "$(count Unclassified)" = 0 ] || fail "Unclassified $(count Unclassified)"
[ "$(count AuthFailure)" = 1 ] || fail "AuthFailure $(count AuthFailure)"
stop_daemon
echo "follow_partial_line: all passed"
