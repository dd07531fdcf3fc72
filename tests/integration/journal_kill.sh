# SPEC §8, §16: errwatchd killed with SIGKILL at five random moments
# while the journal grows (and rotates). Each restart resumes after the
# cursor Redis acknowledged: the entry at the stored cursor is never
# counted twice (the classic off-by-one of journal readers), none is
# lost, so the counts equal the truth exactly. Kill moments come from
# $RANDOM, printed so a failure can be told apart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/journal_lib.inc"

SEED=${ERRWATCH_KILL_SEED:-$$}
RANDOM=$SEED
echo "journal_kill: seed $SEED"
mkdir -p "$JDIR"
write_jconfig
start_redis
start_daemon
gen --batches 40 --per-batch 60 --interval 0.05 --rotate-every 15 & G=$!
# kills begin once a cursor is stored (a slow start under ASan)
wait_for 200 0.05 bash -c "[ -n \"\$(redis-cli -s '$SOCK' HGET \
    errwatch:offsets:testhost journal:units)\" ]" ||
	fail "no cursor stored"
resumed() {
	[ "$(grep -c "journal units: resuming after the stored cursor" \
	    "$T/daemon.log")" = "$1" ]
}
for k in 1 2 3 4 5; do
	sleep "0.$((RANDOM % 6 + 2))"	# a random moment, not a wait
	kill_daemon
	echo "kill $k at $(truth entries) entries written"
	[ $((RANDOM % 2)) = 0 ] && sleep 0.$((RANDOM % 5))
	start_daemon
	# this restart's own line (start_daemon may have seen an older
	# run's "loaded" line): each run is killed only after it resumed
	wait_for 100 0.1 resumed "$k" || fail "restart $k: cursor not restored"
done
wait "$G" || fail "the journal writer failed"
expect_truth
wait_flushes 2
expect_truth
n=$(grep -c "resuming after the stored cursor" "$T/daemon.log")
[ "$n" = 5 ] || fail "$n resumptions, want 5"
stop_daemon
echo "journal_kill: all passed"
