# SPEC §7, §10, §11: a wrong password. errwatchd keeps running, logs the
# refusal once, counts nothing; the password file is fixed and SIGHUP
# reloads: the reload takes a new link with the new password, and the
# counts come out exact. Then the password changes again under it (Redis
# side first: NOAUTH/WRONGPASS until the reload) and nothing is lost.
. "$(dirname "$0")/lib.sh"

printf 'wrong\n' > "$T/pw"
REDIS_EXTRA="  password_file: $T/pw
  connect_timeout: 500ms"
write_config
start_redis --requirepass s3cret
for i in $(seq 1 30); do line 461 Punishment "a$i"; done > "$LOGS/a.log"
start_daemon_bg
wait_for 100 0.05 grep -q "AUTH: WRONGPASS" "$T/daemon.log" ||
	fail "the refused AUTH is not logged"
# Retries with backoff for 2 s: still one line, nothing written.
t_end=$(( $(date +%s) + 2 ))
while [ "$(date +%s)" -lt $t_end ]; do
	kill -0 "$DPID" || fail "errwatchd died on a wrong password"
	sleep 0.2
done
n=$(grep -c "WRONGPASS" "$T/daemon.log")
[ "$n" -eq 1 ] || fail "the refusal was logged $n times, want once"
[ "$(redis-cli -s "$SOCK" -a s3cret --no-auth-warning DBSIZE)" = 0 ] ||
	fail "something was written with a wrong password"

printf 's3cret\n' > "$T/pw"
kill -HUP "$DPID"
rc() { redis-cli -s "$SOCK" -a s3cret --no-auth-warning "$@"; }
wait_for 50 0.1 grep -q "stored offsets loaded" "$T/daemon.log" ||
	fail "no link after the reload"
expect_count Punishment 30
expect_offsets

# The server's password changes: the running link stays authenticated
# (Redis keeps it), a new one is refused until the file and a reload
# follow. Lines written meanwhile all count.
rc CONFIG SET requirepass n3w >/dev/null
rc() { redis-cli -s "$SOCK" -a n3w --no-auth-warning "$@"; }
rc CLIENT KILL TYPE normal >/dev/null
for i in $(seq 1 20); do line 461 Punishment "b$i"; done >> "$LOGS/a.log"
wait_for 50 0.1 bash -c "[ \$(grep -c WRONGPASS '$T/daemon.log') -ge 2 ]" ||
	fail "second refusal not logged"
[ "$(count Punishment)" = 30 ] || fail "counted without AUTH"
printf 'n3w\n' > "$T/pw"
kill -HUP "$DPID"
expect_count Punishment 50
expect_offsets
stop_daemon
echo "once_auth: all passed"
