# SPEC §6 identity: a file deleted, closed by the daemon, and a new file
# with other content created at once, which ext4 usually puts on the same
# inode. The new file is no continuation of the old: it is read from its
# first byte, whether it is shorter or longer than the old one.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
burst 30 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 30

want_i=0 want_s=0 reused=0
for r in 1 2 3; do
	old=$(stat -c %i "$LOGS/app.log")
	rm "$LOGS/app.log"
	# the inode is free only once the daemon closed it (rotate_wait)
	wait_for 50 0.1 no_fd_on "$LOGS/app.log (deleted)" ||
		fail "round $r: the deleted file is still open"
	if [ $r = 2 ]; then	# longer than the old file
		burst 40 473 ServiceUnavailable "r$r-" > "$LOGS/app.log"
		want_s=$((want_s + 40))
	else			# shorter: below the old offset
		burst 5 500 InternalError "r$r-" > "$LOGS/app.log"
		want_i=$((want_i + 5))
	fi
	new=$(stat -c %i "$LOGS/app.log")
	if [ "$old" = "$new" ]; then
		reused=$((reused + 1))
	else
		echo "round $r: the filesystem gave a new inode ($old -> $new)"
	fi
	expect_count InternalError $want_i
	expect_count ServiceUnavailable $want_s
done
echo "inode reused in $reused of 3 rounds"
[ "$(count Punishment)" = 30 ] || fail "Punishment $(count Punishment)"

# A restart knows the last file by its record: nothing read again.
stop_daemon
start_daemon
burst 2 500 InternalError z >> "$LOGS/app.log"
expect_count InternalError $((want_i + 2))
[ "$(count ServiceUnavailable)" = $want_s ] || fail "ServiceUnavailable after restart"
stop_daemon
echo "follow_inode_reuse: all passed"
