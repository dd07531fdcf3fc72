# SPEC §11 bad log input while running: binary data, NUL bytes, invalid
# UTF-8, a file truncated to zero while being read, files that vanish
# between discovery and open, a directory whose name matches the glob.
# No crash, and exact counts of the good lines among them.
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
# ... and truncated while a 20,000-line burst is still being appended and
# read: what was read before the truncation counts, what was not is gone
# with it (never more than was written).
cat "$T/big" >> "$LOGS/trunc.log" &
sleep 0.05
truncate -s 0 "$LOGS/trunc.log"
wait $!
burst 30 403 Forbidden t2 >> "$LOGS/trunc.log"
expect_count Forbidden 60
sleep 0.5	# a flush or two more: pace only
c=$(( $(count IdpAuthFailure) - 20000 ))
[ "$c" -le 20000 ] || fail "IdpAuthFailure $c of the second 20000: more than written"
echo "truncated while written and read: $c of 20000 lines counted"
[ "$(count Unclassified)" = 0 ] || fail "a torn line: Unclassified $(count Unclassified)"

# Files that vanish between discovery and open: 200 created and deleted
# at once (some found by a scan, some gone before it opens them).
for i in $(seq 1 200); do
	line 9999 Unknown v > "$LOGS/v$i.log"
	rm "$LOGS/v$i.log"
done
# ... and a file replaced by a directory of the same name.
burst 2 409 ConflictData d > "$LOGS/swap.log"
expect_count ConflictData 2
rm "$LOGS/swap.log"
mkdir "$LOGS/swap.log"
burst 3 404 NotFound after > "$LOGS/after.log"
expect_count NotFound 3
kill -0 "$DPID" || fail "errwatchd died"
c=$(count Unknown)
[ "$c" -le 200 ] || fail "Unknown $c, more than written"
echo "vanishing files: $c of 200 seen before they went"
[ "$(count Punishment)" = 5 ] || fail "Punishment $(count Punishment)"
[ "$(count ServiceUnavailable)" = 20 ] || fail "ServiceUnavailable $(count ServiceUnavailable)"
! grep -q "dir.log.*retrying" "$T/daemon.log" || fail "dir.log reported as unreadable"
stop_daemon
echo "follow_bad_input: all passed"
