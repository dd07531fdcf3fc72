# SPEC §8: Redis killed (SIGKILL) under load and restarted with its data
# (appendonly yes, appendfsync always: nothing acknowledged is lost). The
# batch in flight at the kill was applied (then DUP) or not (then OK);
# either way the totals equal the lines written, exactly, and the stored
# offsets equal the file sizes.
. "$(dirname "$0")/lib.sh"

TOTAL=6000
PERSIST=(--appendonly yes --appendfsync always)
write_config
: > "$LOGS/a.log"
start_redis "${PERSIST[@]}"
start_daemon
python3 "$EW_SRC/tests/integration/writer.py" "$LOGS/a.log" $TOTAL \
    --rate 2000 --rotate 2500 & WPID=$!
for round in 1 2; do
	wait_for 100 0.05 bash -c "[ \$(redis-cli -s '$SOCK' HGET errwatch:count:total Punishment || echo 0) -ge $((round * 1500)) ] 2>/dev/null" ||
		fail "no counts under load (round $round)"
	kill_redis
	sleep 0.$((RANDOM % 9 + 1))	# an outage of random length
	start_redis "${PERSIST[@]}"
done
wait "$WPID" || fail "writer failed"
expect_count Punishment $TOTAL
expect_offsets
stop_daemon
[ "$(count Punishment)" = $TOTAL ] || fail "after stop: $(count Punishment)"
grep -q "was gone" "$T/daemon.log" && fail "a persistent Redis was taken for wiped"
echo "once_redis_aof: all passed"
