# SPEC §6: an unreadable file (EACCES) is logged once and retried at each
# rescan; once readable it is counted from its first byte. Root reads
# everything, so the daemon runs as nobody here (setpriv), as it would
# under DynamicUser.
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" = 0 ]; then
	command -v setpriv >/dev/null ||
		skip "root without setpriv cannot test EACCES"
	EW_WRAP="setpriv --reuid=nobody --regid=nogroup --clear-groups"
	chmod 755 "$T" "$LOGS"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    test -r "$EW_SRC/data/error-codes.tsv" ||
		skip "nobody cannot read the table"
fi
start_redis --unixsocketperm 777
write_config
chmod 644 "$CFG"
burst 5 461 Punishment a > "$LOGS/app.log"
burst 7 473 ServiceUnavailable s > "$LOGS/secret.log"
chmod 000 "$LOGS/secret.log"
start_daemon
expect_count Punishment 5
wait_flushes 11	# 2.2 s at 200 ms: two rescans (1 s) retried it
n=$(grep -c "secret.log: open: Permission denied" "$T/daemon.log" || true)
[ "$n" = 1 ] || fail "EACCES logged $n times, want once"
[ "$(count ServiceUnavailable)" = 0 ] || fail "an unreadable file was counted"
chmod 644 "$LOGS/secret.log"
expect_count ServiceUnavailable 7
grep -q "secret.log: readable again" "$T/daemon.log" || fail "no 'readable again'"
burst 2 461 Punishment b >> "$LOGS/app.log"
expect_count Punishment 7
stop_daemon
echo "follow_unreadable: all passed"
