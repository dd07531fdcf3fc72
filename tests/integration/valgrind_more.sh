# The other main paths under valgrind (valgrind.sh has errwatchd on
# files): errwatchd on a journal input (--scan --input and --once from
# real journal files), errwatch-alerts delivering an event to a webhook,
# errwatch-web answering its pages, API and /metrics. Any memory error
# or definite leak fails; each program must exit 0 on SIGTERM.
. "$(dirname "$0")/lib.sh"

if ldd "$EW_BIN" | grep libasan >/dev/null; then	# no -q: SIGPIPE
	skip "valgrind cannot run an ASan binary (ASan covers this tree)"
fi
command -v valgrind >/dev/null || fail "valgrind is not installed"
command -v curl >/dev/null || skip "curl is not installed"
. "$(dirname "$0")/journal_lib.inc"
: "${EW_ALERTS_BIN:?}" "${EW_WEB_BIN:?}"
VG=(valgrind -q --error-exitcode=99 --leak-check=full
    --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect)

# errwatchd on the journal
start_redis
write_jconfig
gen --per-batch 300
st=0
"${VG[@]}" "$EW_BIN" --scan -c "$CFG" --input units > "$T/scan.out" \
    2>> "$T/daemon.log" || st=$?
[ $st -eq 0 ] || fail "--scan --input under valgrind exited $st"
[ "$(awk '$1 == "Punishment" { print $NF }' "$T/scan.out")" = \
    "$(truth Punishment)" ] || fail "--scan: $(cat "$T/scan.out")"
"${VG[@]}" "$EW_BIN" --once -c "$CFG" >> "$T/daemon.log" 2>&1 || st=$?
[ $st -eq 0 ] || fail "--once on a journal under valgrind exited $st"
expect_truth

# errwatch-alerts: one event to a webhook
start_receiver
cat >> "$CFG" <<YAML
delivery:
  alertmanager: []
  webhooks: [{url: "http://127.0.0.1:$RPORT/hook"}]
YAML
xadd_event firing Punishment h1 >/dev/null
"${VG[@]}" "$EW_ALERTS_BIN" -c "$CFG" >> "$T/alerts.log" 2>&1 &
APID=$!
EXTRA_PIDS="$EXTRA_PIDS $APID"
wait_for 300 0.1 received_is '"/hook"' 1 ||
	fail "webhook got $(received '"/hook"') under valgrind"
wait_for 100 0.1 pending_is errwatch-alerts 0 || fail "event left pending"
kill -TERM $APID
st=0
wait $APID || st=$?
[ $st -eq 0 ] || { tail -n 30 "$T/alerts.log"; fail "errwatch-alerts under valgrind exited $st"; }

# errwatch-web: a page, the API, /metrics
WPORT=$(free_port)
cat >> "$CFG" <<YAML
web:
  listen: "127.0.0.1:$WPORT"
  assets: $EW_SRC/web
YAML
"${VG[@]}" "$EW_WEB_BIN" -c "$CFG" >> "$T/web.log" 2>&1 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"
U="http://127.0.0.1:$WPORT"
wait_for 300 0.1 curl -sf -o /dev/null "$U/api/v1/totals" ||
	fail "errwatch-web did not answer under valgrind"
for p in / /class/Punishment /host/testhost /api/v1/totals /metrics; do
	curl -sf -o "$T/page" "$U$p" || fail "GET $p failed"
done
grep -q "^errwatch_lines_total{class=\"Punishment\",.*} $(truth Punishment)$" \
    "$T/page" || fail "/metrics: $(grep Punishment "$T/page" | head -3)"
kill -TERM $WPID
st=0
wait $WPID || st=$?
[ $st -eq 0 ] || { tail -n 30 "$T/web.log"; fail "errwatch-web under valgrind exited $st"; }
echo "valgrind_more: clean"
