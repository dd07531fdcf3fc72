# SPEC §11 bad log input while running: binary data, NUL bytes, invalid
# UTF-8, a file truncated to zero while being read, files that vanish
# between discovery and open, a directory whose name matches the glob.
# No crash, and exact counts of every good line among them.
. "$(dirname "$0")/lib.sh"

start_redis
write_config
mkdir "$LOGS/dir.log"		# matches *.log: skipped, not an error
burst 5 461 Punishment a > "$LOGS/app.log"
start_daemon
expect_count Punishment 5

# Binary noise between good lines: 64 KiB of random bytes (newlines in
# it make random "lines"; the good lines stand on their own lines).
head -c 65536 /dev/urandom | tr -d 'c' > "$T/noise"	# no "code=" by chance
{
	burst 10 473 ServiceUnavailable bin
	cat "$T/noise"
	printf '\n'
	burst 10 473 ServiceUnavailable bin2
} >> "$LOGS/app.log"
# NUL bytes inside and around matching lines.
printf 'ts=1 \0\0 code=500 name=InternalError \0tail\n\0\0\0\n' >> "$LOGS/app.log"
printf '\0code=500 name=InternalError\n' >> "$LOGS/app.log"
# Invalid UTF-8 (lone continuation bytes, overlong forms, a cut sequence).
printf 'ts=2 \x80\xbf\xc0\xaf code=401 name=AuthFailure \xed\xa0\x80\n' >> "$LOGS/app.log"
printf '\xff\xfe code=401 name=AuthFailure \xe2\x82\n' >> "$LOGS/app.log"
expect_count ServiceUnavailable 20
expect_count InternalError 2
expect_count AuthFailure 2

# A file truncated to zero while it is being followed: 20,000 lines read,
# truncated, 30 lines after: exact.
burst 20000 4010 IdpAuthFailure big > "$T/big"
cat "$T/big" >> "$LOGS/trunc.log"
expect_count IdpAuthFailure 20000
truncate -s 0 "$LOGS/trunc.log"
burst 30 403 Forbidden t >> "$LOGS/trunc.log"
expect_count Forbidden 30
# ... and truncated to zero by another process while a writer that keeps
# the file open (O_APPEND, as loggers do) is half-way through a burst that
# is being read: the first half is read before the truncation, the second
# lands at 0 after it and grows past the old offset (truncated and regrown
# between two looks: the bytes before the offset tell, SPEC §6). Exact.
exec 7>> "$LOGS/trunc.log"
burst 10000 4010 IdpAuthFailure half1- >&7
expect_count IdpAuthFailure 30000
truncate -s 0 "$LOGS/trunc.log"
burst 12000 4010 IdpAuthFailure half2- >&7
exec 7>&-
expect_count IdpAuthFailure 42000
burst 30 403 Forbidden t2 >> "$LOGS/trunc.log"
expect_count Forbidden 60
wait_flushes 3		# nothing more comes: no line counted twice
[ "$(count IdpAuthFailure)" = 42000 ] ||
	fail "IdpAuthFailure $(count IdpAuthFailure), want 42000"
[ "$(count Unclassified)" = 0 ] || fail "a torn line: Unclassified $(count Unclassified)"

# Files that vanish between discovery and open: 200 created and deleted
# at once (some found by a scan, some gone before it opens them). They
# hold no line, so whatever the race, nothing of them may count; none may
# keep a descriptor once rotate_wait (1 s) has passed.
for i in $(seq 1 200); do
	: > "$LOGS/v$i.log"
	rm "$LOGS/v$i.log"
done
no_vanished_fd() {
	! ls -l /proc/"$DPID"/fd 2>/dev/null | grep "/v[0-9]*\.log" >/dev/null
}
wait_for 50 0.1 no_vanished_fd || fail "a descriptor on a vanished file"
# ... and a file replaced by a directory of the same name.
burst 2 409 ConflictData d > "$LOGS/swap.log"
expect_count ConflictData 2
rm "$LOGS/swap.log"
mkdir "$LOGS/swap.log"
burst 3 404 NotFound after > "$LOGS/after.log"
expect_count NotFound 3
kill -0 "$DPID" || fail "errwatchd died"
burst 4 9999 Unknown u >> "$LOGS/after.log"
expect_count Unknown 4
[ "$(count Punishment)" = 5 ] || fail "Punishment $(count Punishment)"
[ "$(count ServiceUnavailable)" = 20 ] || fail "ServiceUnavailable $(count ServiceUnavailable)"
! grep -q "dir.log.*retrying" "$T/daemon.log" || fail "dir.log reported as unreadable"
stop_daemon
echo "follow_bad_input: all passed"
