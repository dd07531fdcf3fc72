# 1,000 followed files (the daemon raises its soft descriptor limit), then
# 1,100, past the default max_open_files (1024): every line of every file
# counts exactly once, those there at the start and those appended after,
# and never more than max_open_files log files are open (SPEC §6); reports
# the daemon's peak resident memory (SPEC §12: at most 8 MiB with 1,000).
. "$(dirname "$0")/lib.sh"

N=1000
[ "$(ulimit -Hn)" = unlimited ] || [ "$(ulimit -Hn)" -ge $((N + 64)) ] ||
	skip "hard descriptor limit $(ulimit -Hn) < $((N + 64))"
MAX_OPEN=1024		# the default: write_config does not set it
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
# Every line counted and no descriptor over the limit (the daemon parks
# the quietest files beyond it and reopens them by identity when they
# grow): one more line in every file, the parked ones included.
for ((i = 0; i < N + 100; i++)); do
	burst 1 404 NotFound "k$i-" >> "$LOGS/f$i.log"
done
expect_count NotFound $((N + 100))
expect_offsets
nlog=$(ls -l /proc/"$DPID"/fd | grep -c "$LOGS/f[0-9]*\.log" || true)
echo "$((N + 100)) files: VmHWM $(vmhwm), VmRSS $(awk '/^VmRSS/ {print $2, $3}' /proc/$DPID/status), $nlog log descriptors"
[ "$nlog" -le $MAX_OPEN ] || fail "$nlog log files open, max_open_files $MAX_OPEN"
[ "$(count Punishment)" = $((3 * N)) ] || fail "Punishment $(count Punishment)"
[ "$(count ServiceUnavailable)" = $((2 * N)) ] || fail "ServiceUnavailable $(count ServiceUnavailable)"
[ "$(count InternalError)" = 100 ] || fail "InternalError $(count InternalError)"
stop_daemon
echo "follow_many_files: all passed"
