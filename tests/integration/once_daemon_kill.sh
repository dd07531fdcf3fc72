# SPEC §8: errwatchd killed with SIGKILL at random moments, five times,
# while two writers append and rotate their files by rename (the rotated
# names still match the glob). Each restart resumes from the offsets
# Redis acknowledged; at the end the counts equal the lines written and
# every stored offset equals its file's size. Kill moments come from
# $RANDOM, printed so a failure can be told apart.
. "$(dirname "$0")/lib.sh"

SEED=${ERRWATCH_KILL_SEED:-$$}
RANDOM=$SEED
echo "once_daemon_kill: seed $SEED"
TOTAL=4000
write_config
start_redis
: > "$LOGS/a.log"
: > "$LOGS/b.log"
start_daemon
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/a.log" $TOTAL \
    --rate 1000 --rotate 700 & W1=$!
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/b.log" $TOTAL \
    --rate 1000 --rotate 900 --code 473 --name ServiceUnavailable & W2=$!
for k in 1 2 3 4 5; do
	sleep "0.$((RANDOM % 6 + 2))"	# a random moment, not a wait
	kill_daemon
	echo "kill $k at $(cat "$LOGS"/a*.log | wc -l) + $(cat "$LOGS"/b*.log | wc -l) lines"
	[ $((RANDOM % 2)) = 0 ] && sleep 0.$((RANDOM % 5))
	start_daemon
done
wait "$W1" || fail "writer a failed"
wait "$W2" || fail "writer b failed"
expect_count Punishment $TOTAL
expect_count ServiceUnavailable $TOTAL
expect_offsets
n=$(ls "$LOGS" | wc -l)
echo "five kills survived; $n files"
stop_daemon
[ "$(count Punishment)" = $TOTAL ] || fail "after stop $(count Punishment)"
echo "once_daemon_kill: all passed"
