# SPEC §6 truncation: a file truncated to 0 and regrown past its old read
# offset between two looks (no look can see it shorter) is caught by the
# hash of the bytes before the offset, and re-read from 0: every line of
# the new content counts, none of the old counts twice.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
burst 40 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 40

# One shell command: truncate, then more bytes than before, in well under
# a flush interval (200 ms). The new lines are longer than the old (a
# longer tag), so the file passes the old offset at once.
for round in 1 2 3; do
	{ : > "$LOGS/app.log"; burst 60 473 ServiceUnavailable "round$round-regrown-"; } \
	    >> "$LOGS/app.log"
	expect_count ServiceUnavailable $((60 * round))
	[ "$(count Punishment)" = 40 ] || fail "Punishment $(count Punishment), want 40"
done
[ "$(count Unclassified)" = 0 ] || fail "a torn line was counted: Unclassified $(count Unclassified)"

# A truncation to a smaller size, then growth that stays below the old
# offset for a while: read from 0 once it is seen.
: > "$LOGS/app.log"
burst 5 500 InternalError small >> "$LOGS/app.log"
expect_count InternalError 5
burst 5 500 InternalError more >> "$LOGS/app.log"
expect_count InternalError 10
t=$(rc HGET errwatch:stats:testhost truncations)
[ "$t" = 4 ] || fail "stats truncations $t, want 4"
stop_daemon
echo "follow_truncate_regrow: all passed"
