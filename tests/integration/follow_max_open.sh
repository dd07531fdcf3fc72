# SPEC §6 max_open_files: with 40 files and a limit of 10, the files quiet
# longest give up their descriptors, are reopened by identity when they
# grow, and every line counts exactly once; a file deleted while closed
# for the limit is forgotten without a descriptor held.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
sed -i "s/^host: testhost$/host: testhost\nmax_open_files: 10/" "$CFG"

# log_fds: descriptors errwatchd holds on files under $LOGS.
log_fds() {
	local n=0 fd
	for fd in /proc/"$DPID"/fd/*; do
		case $(readlink "$fd" 2>/dev/null) in "$LOGS"/*) n=$((n + 1)) ;; esac
	done
	echo $n
}
fds_at_most() {
	[ "$(log_fds)" -le "$1" ]
}

for f in $(seq 1 40); do
	for i in 1 2 3; do line 461 Punishment "f$f.$i"; done > "$LOGS/f$f.log"
done
start_daemon
expect_count Punishment 120
wait_for 50 0.1 fds_at_most 10 || fail "$(log_fds) log fds open, limit 10"
echo "open log fds after the first pass: $(log_fds)"

# Every file grows again, a few at a time: each is reopened and read on.
for round in 1 2 3 4; do
	for f in $(seq $((round * 10 - 9)) $((round * 10))); do
		line 473 ServiceUnavailable "g$f" >> "$LOGS/f$f.log"
	done
	expect_count ServiceUnavailable $((round * 10))
done
wait_for 50 0.1 fds_at_most 10 || fail "$(log_fds) log fds open after growth"

# A partial line in a file that is then closed for the limit, deleted
# while closed: it counts once, and no descriptor stays on it.
printf 'ts=1 code=500 name=InternalError' >> "$LOGS/f1.log"
line 401 AuthFailure busy >> "$LOGS/f2.log"
expect_count AuthFailure 1
rm -f "$LOGS/f1.log"
expect_count InternalError 1
wait_for 50 0.1 bash -c "! ls -l /proc/$DPID/fd | grep '(deleted)' >/dev/null" ||
	fail "a descriptor is held on a deleted file"

# A restart resumes every file from its stored offset.
stop_daemon
for f in $(seq 2 40); do line 403 Forbidden "h$f" >> "$LOGS/f$f.log"; done
start_daemon
expect_count Forbidden 39
expect_count Punishment 120
expect_count ServiceUnavailable 40
stop_daemon
echo "follow_max_open: all passed"
