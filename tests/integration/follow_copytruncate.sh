# SPEC §6 copytruncate (cp app.log app.log.1; truncate -s 0 app.log), in
# a directory whose glob matches the copy (m: *.log*) and in one whose
# glob does not (n: *.log). With the writer paused around the copy every
# line counts exactly once, in both. With the writer running, the lines
# written between the end of the copy and the truncation are in neither
# file (inherent to copytruncate): the count never exceeds what was
# written, and what reached the copy past our offset is counted from it.
. "$(dirname "$0")/lib.sh"

mkdir -p "$LOGS/m" "$LOGS/n"
start_redis
PATHS_LIST="\"$LOGS/m/*.log*\", \"$LOGS/n/*.log\"" write_config
SYNC_LOG=$LOGS/n/zz-sync.log
burst 100 461 Punishment a > "$LOGS/m/app.log"
burst 100 473 ServiceUnavailable a > "$LOGS/n/app.log"
start_daemon
expect_count Punishment 100
expect_count ServiceUnavailable 100

# Writer paused: copy, truncate, write on. Three rounds (the copy is
# replaced in place by the next cp, as logrotate does without dateext).
# In round 2 the copy is found before the truncation (linked, then
# released by it); in 1 and 3 the truncation comes first, as with
# logrotate (the copy is known by the original's old fingerprint).
for r in 1 2 3; do
	for d in m n; do
		cp "$LOGS/$d/app.log" "$LOGS/$d/app.log.1"
		[ $r != 2 ] || wait_flushes 6	# 1.2 s: a rescan (1 s) saw the copy
		truncate -s 0 "$LOGS/$d/app.log"
	done
	burst 20 461 Punishment "p$r-" >> "$LOGS/m/app.log"
	burst 20 473 ServiceUnavailable "p$r-" >> "$LOGS/n/app.log"
	expect_count Punishment $((100 + 20 * r))
	expect_count ServiceUnavailable $((100 + 20 * r))
	# the copy is drained and closed within rotate_wait, counting nothing
	wait_for 50 0.1 no_fd_on "$LOGS/m/app.log.1" ||
		fail "round $r: m/app.log.1 still open"
	[ "$(count Punishment)" = $((100 + 20 * r)) ] ||
		fail "round $r: Punishment $(count Punishment), want $((100 + 20 * r))"
	[ "$(count ServiceUnavailable)" = $((100 + 20 * r)) ] ||
		fail "round $r: ServiceUnavailable $(count ServiceUnavailable)"
done

# Writer running: 1,500 lines at about 1,000/s into each of m/run.log and
# n/run.log while both are copytruncated halfway.
writer() {	# FILE CODE NAME: 1500 lines, 10 per 10 ms
	local i
	exec 4>>"$1"
	for i in $(seq 1 150); do
		burst 10 "$2" "$3" "w$i-" >&4
		sleep 0.01
	done
	exec 4>&-
}
: > "$LOGS/m/run.log"
: > "$LOGS/n/run.log"
wait_flushes 6	# 1.2 s: a rescan found both (empty) before the writers
writer "$LOGS/m/run.log" 500 InternalError &
wm=$!
writer "$LOGS/n/run.log" 401 AuthFailure &
wn=$!
sleep 0.7
for d in m n; do
	cp "$LOGS/$d/run.log" "$LOGS/$d/run.log.1"
	truncate -s 0 "$LOGS/$d/run.log"
done
wait $wm $wn
# Quiet: wait until the counts stop moving (both copies closed).
wait_for 50 0.1 no_fd_on "$LOGS/m/run.log.1" || fail "m/run.log.1 still open"
wait_flushes 2	# the last lines read are flushed
stop_daemon
cm=$(count InternalError) cn=$(count AuthFailure)
expect_le InternalError 1500
expect_le AuthFailure 1500
echo "copytruncate under a running writer: copy matched by the glob:" \
    "$cm of 1500 counted, $((1500 - cm)) lost; copy not matched:" \
    "$cn of 1500 counted, $((1500 - cn)) lost"
# What is lost is bounded by what the writer wrote between the copy and
# the truncation (a few ms at 1,000 lines/s) plus, for the unmatched
# copy, what it wrote between our last read and the copy (<= 200 ms).
[ $((1500 - cm)) -le 100 ] || fail "matched copy: $((1500 - cm)) lines lost"
[ $((1500 - cn)) -le 400 ] || fail "unmatched copy: $((1500 - cn)) lines lost"
[ "$(count Punishment)" = 160 ] || fail "Punishment $(count Punishment)"
[ "$(count ServiceUnavailable)" = 160 ] || fail "ServiceUnavailable"
[ "$(count Unclassified)" = 0 ] || fail "torn lines: Unclassified $(count Unclassified)"
echo "follow_copytruncate: all passed"
