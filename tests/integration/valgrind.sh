# The daemon's main path under valgrind: --once, and a short daemon run
# that follows a file, flushes to Redis and stops on SIGTERM. Any memory
# error or definite leak fails (the ASan build runs the rest of the suite;
# valgrind cannot run an ASan binary, so there this test reports SKIP).
. "$(dirname "$0")/lib.sh"

if ldd "$EW_BIN" | grep libasan >/dev/null; then	# no -q: SIGPIPE
	skip "valgrind cannot run an ASan binary (ASan covers this tree)"
fi
command -v valgrind >/dev/null || fail "valgrind is not installed"
VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

start_redis
write_config
for i in $(seq 1 100); do line 461 Punishment "v$i"; done > "$LOGS/a.log"
st=0
"${VG[@]}" "$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || st=$?
[ $st -eq 0 ] || fail "--once under valgrind exited $st"
expect_count Punishment 100

for i in $(seq 1 50); do line 473 ServiceUnavailable "w$i"; done >> "$LOGS/a.log"
"${VG[@]}" "$EW_BIN" -c "$CFG" >> "$T/daemon.log" 2>&1 &
DPID=$!
expect_count ServiceUnavailable 50
for i in $(seq 1 50); do line 473 ServiceUnavailable "x$i"; done > "$LOGS/b.log"
expect_count ServiceUnavailable 100
kill -HUP "$DPID"
wait_for 100 0.1 grep -q "reload: .* in force" "$T/daemon.log" || fail "no reload"
stop_daemon
expect_count ServiceUnavailable 100
echo "valgrind: clean"
