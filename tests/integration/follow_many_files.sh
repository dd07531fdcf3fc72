# 1,000 followed files (the daemon raises its soft descriptor limit):
# every line of every file counts exactly once, those there at the start
# and those appended after; reports the daemon's peak resident memory
# (SPEC §12: at most 8 MiB with 1,000 files).
. "$(dirname "$0")/lib.sh"

N=1000
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $((N + 64)) ] ||
	{ echo "SKIP: hard descriptor limit $(ulimit -Hn) < $((N + 64))"; exit 0; }
start_redis
write_config
for ((i = 0; i < N; i++)); do
	burst 3 461 Punishment "f$i-" > "$LOGS/f$i.log"
done
start_daemon
expect_count Punishment $((3 * N))
[ "$(rc HGET errwatch:stats:testhost files)" = $N ] ||
	fail "stats files $(rc HGET errwatch:stats:testhost files), want $N"

# Two lines more in every file, then 100 files more created while it runs.
for ((i = 0; i < N; i++)); do
	burst 2 473 ServiceUnavailable "g$i-" >> "$LOGS/f$i.log"
done
for ((i = N; i < N + 100; i++)); do
	burst 1 500 InternalError "h$i-" > "$LOGS/f$i.log"
done
expect_count ServiceUnavailable $((2 * N))
expect_count InternalError 100
[ "$(count Punishment)" = $((3 * N)) ] || fail "Punishment $(count Punishment)"
nfd=$(ls /proc/"$DPID"/fd | wc -l)
echo "$((N + 100)) files: VmHWM $(vmhwm), VmRSS $(awk '/^VmRSS/ {print $2, $3}' /proc/$DPID/status), $nfd descriptors"
[ "$nfd" -ge $((N + 100)) ] || fail "only $nfd descriptors open"
stop_daemon
echo "follow_many_files: all passed"
