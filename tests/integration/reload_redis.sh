# SIGHUP to the fleet programs (SPEC §10): a reload that names another
# Redis takes a new link (the sink says when: sink_same_link). errwatch-web's
# next answer reads the new Redis; errwatch-alerts creates its consumer
# group there. A reload that keeps the Redis settings keeps the link; a
# bad config keeps the running one. Two real redis-servers; the counts
# are written into each by hand (errwatch-web reads Redis only).
# errwatchd's own reload to another Redis is unit.session's test_reload.
. "$(dirname "$0")/lib.sh"

: "${EW_WEB_BIN:?EW_WEB_BIN: path of errwatch-web}"
command -v curl >/dev/null || skip "curl is not installed"

SOCK2="$T/r2.sock"
start_redis
redis-server --port 0 --unixsocket "$SOCK2" --unixsocketperm 700 \
    --save '' --appendonly no --dir "$T" --daemonize yes \
    --pidfile "$T/redis2.pid" --logfile "$T/redis2.log"
wait_for 100 0.05 redis-cli -s "$SOCK2" ping || fail "second redis-server did not start"
EXTRA_PIDS="$EXTRA_PIDS $(cat "$T/redis2.pid")"

rc HSET errwatch:count:total Punishment 11 >/dev/null
redis-cli -s "$SOCK2" HSET errwatch:count:total Punishment 22 >/dev/null

WPORT=$(free_port)
web_config() {
	write_config
	sed -i "s|url: unix://.*|url: unix://$1|" "$CFG"
	cat >> "$CFG" <<YAML
web:
  listen: "127.0.0.1:$WPORT"
  assets: $EW_SRC/web
YAML
}
web_config "$SOCK"
"$EW_WEB_BIN" -c "$CFG" >> "$T/web.log" 2>&1 &
WPID=$!
EXTRA_PIDS="$EXTRA_PIDS $WPID"

# the Punishment total the API answers now
total() {
	curl -sf "http://127.0.0.1:$WPORT/api/v1/totals" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next(c["total"] for c in d["classes"] if c["name"] == "Punishment"))'
}
shows() {
	[ "$(total 2>/dev/null)" = "$1" ]
}
wait_for 200 0.05 shows 11 || fail "web does not show the first Redis's 11: $(total)"
start_alerts
group() {	# the consumer groups on the Redis of socket $1
	redis-cli -s "$1" XINFO GROUPS errwatch:alerts 2>/dev/null |
	    grep -c '^errwatch-alerts$' || true
}
[ "$(group "$SOCK")" = 1 ] || fail "no consumer group on the first Redis"

# the same Redis settings: the link stays
kill -HUP $WPID $APID
wait_for 100 0.05 grep -q "reload: .* in force" "$T/web.log" || fail "no reload"
wait_for 100 0.05 grep -q "reload: .* in force" "$T/alerts.log" ||
	fail "no reload of errwatch-alerts"
! grep -q "new Redis settings" "$T/web.log" "$T/alerts.log" ||
	fail "an unchanged reload reconnected"

# another Redis: a new link, the next answers read it
web_config "$SOCK2"
kill -HUP $WPID $APID
wait_for 100 0.05 grep -q "new Redis settings, reconnecting" "$T/web.log" ||
	fail "no reconnect on a changed url"
wait_for 200 0.05 shows 22 || fail "web does not show the second Redis's 22: $(total)"
wait_for 100 0.05 grep -q "new Redis settings, reconnecting" "$T/alerts.log" ||
	fail "errwatch-alerts: no reconnect on a changed url"
wait_for 200 0.05 test "$(group "$SOCK2")" = 1 ||
	fail "errwatch-alerts made no consumer group on the second Redis"

# a bad config: logged, the running one stays
echo "redis: {url: 'redis://:x@host:99999'}" >> "$CFG"

kill -HUP $WPID $APID
wait_for 100 0.05 grep -q "keeping the running config" "$T/web.log" ||
	fail "a bad config was not refused"
wait_for 100 0.05 grep -q "keeping the running config" "$T/alerts.log" ||
	fail "errwatch-alerts: a bad config was not refused"
shows 22 || fail "the bad reload changed the link: $(total)"
kill -0 $WPID || fail "errwatch-web died"
kill -TERM $WPID
wait $WPID || fail "errwatch-web exit status $?"
stop_alerts
echo "reload_redis: ok"
