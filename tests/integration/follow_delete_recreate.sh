# SPEC §6: a file deleted and created again at the same path. The deleted
# file is read to its end (its writer may still hold it) and its
# descriptor goes within rotate_wait (no disk-space leak); the new file is
# read from its first byte. Nothing lost, nothing counted twice.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
burst 50 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 50

# The writer still holds the deleted file and writes 10 more lines to it
# after the delete; the new file gets 20 lines at once.
exec 3>>"$LOGS/app.log"
rm "$LOGS/app.log"
burst 20 473 ServiceUnavailable b > "$LOGS/app.log"
burst 10 461 Punishment c >&3
exec 3>&-
expect_count Punishment 60
expect_count ServiceUnavailable 20
wait_for 50 0.1 no_fd_on "$LOGS/app.log (deleted)" ||
	fail "a descriptor is still held on the deleted file"
holds_fd "$LOGS/app.log" || fail "the new app.log is not open"

# Five quick delete/create cycles, each new file with its own lines.
for r in 1 2 3 4 5; do
	rm "$LOGS/app.log"
	burst $((r + 2)) 500 InternalError "r$r-" > "$LOGS/app.log"
	sleep 0.05
done
expect_count InternalError $((3 + 4 + 5 + 6 + 7))
wait_for 50 0.1 no_fd_on "$LOGS/app.log (deleted)" ||
	fail "a descriptor is still held on a deleted file"
[ "$(count Punishment)" = 60 ] || fail "Punishment $(count Punishment)"
[ "$(count ServiceUnavailable)" = 20 ] || fail "ServiceUnavailable $(count ServiceUnavailable)"
stop_daemon
echo "follow_delete_recreate: all passed"
