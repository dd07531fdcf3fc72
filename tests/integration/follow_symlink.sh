# SPEC §6: a symlinked path is followed; a changed target (ln -sfn) is a
# rotation: the old target is read to its end (its writer may go on for
# a moment) and the new target is counted from its first byte, lines it
# held before the swap included.
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/targets"
start_redis
PATHS="$LOGS/app.log" write_config
burst 20 461 Punishment a > "$T/targets/a.log"
ln -s "$T/targets/a.log" "$LOGS/app.log"
start_daemon
expect_count Punishment 20
burst 5 461 Punishment b >> "$T/targets/a.log"
expect_count Punishment 25

# The new target exists with 15 lines before the swap; the old one gets
# 5 more lines just after it.
burst 15 473 ServiceUnavailable c > "$T/targets/b.log"
ln -sfn "$T/targets/b.log" "$LOGS/app.log"
burst 5 461 Punishment d >> "$T/targets/a.log"
expect_count ServiceUnavailable 15
expect_count Punishment 30
burst 7 473 ServiceUnavailable e >> "$T/targets/b.log"
expect_count ServiceUnavailable 22
wait_for 50 0.1 no_fd_on "$T/targets/a.log" ||
	fail "the old target is still open after rotate_wait"

# Swap back to the old target: it is the same file (identity), read on
# from where it stopped, not from 0.
burst 4 500 InternalError f >> "$T/targets/a.log"
ln -sfn "$T/targets/a.log" "$LOGS/app.log"
expect_count InternalError 4
burst 3 500 InternalError g >> "$T/targets/a.log"
expect_count InternalError 7
[ "$(count Punishment)" = 30 ] || fail "Punishment $(count Punishment), want 30"
[ "$(count ServiceUnavailable)" = 22 ] || fail "ServiceUnavailable $(count ServiceUnavailable)"
stop_daemon
echo "follow_symlink: all passed"
