# SPEC §13 end to end: three real errwatchd (h0, h1, h2), each under its
# own Punishment threshold, together over the fleet rule: errwatch-alerts
# raises exactly one fleet alert (host fleet, scope fleet) and no host
# alert; then h2 stops, and ErrwatchHostSilent fires for it after
# silent_after and resolves when h2 writes again. Both reach the webhook.
. "$(dirname "$0")/lib.sh"

start_redis
start_receiver
host_cfg() {	# HOST: a config of its own, logs in $LOGS/HOST
	mkdir -p "$LOGS/$1"
	cat > "$T/$1.yaml" <<YAML
host: $1
table: $EW_SRC/data/error-codes.tsv
redis:
  url: unix://$SOCK
  flush_interval: 200ms
inputs:
  - paths: ["$LOGS/$1/*.log"]
    start_at: beginning
alerts:
  rules:
    - {match: Punishment, threshold: 50, window: 20s, severity: critical}
    - {match: "category:success", enabled: false}
  fleet:
    rules:
      - {match: Punishment, threshold: 30, window: 20s, severity: critical}
delivery:
  alertmanager: []
  webhooks: [{url: "http://127.0.0.1:$RPORT/hook"}]
  silent_after: 15s
YAML
}
declare -A HPID
start_host() {
	"$EW_BIN" -c "$T/$1.yaml" >> "$T/$1.log" 2>&1 &
	HPID[$1]=$!
	EXTRA_PIDS="$EXTRA_PIDS ${HPID[$1]}"
	wait_for 100 0.05 grep -q "stored offsets loaded" "$T/$1.log" ||
		fail "errwatchd $1 did not start"
}
for h in h0 h1 h2; do
	host_cfg $h
	: > "$LOGS/$h/game.log"
	start_host $h
done
start_alerts "$T/h0.yaml"
leased() {
	[ -n "$(rc GET errwatch:lease:fleet)" ]
}
got() {	# PATTERN: the webhook got at least one request matching it
	[ "$(received "$1")" -ge 1 ]
}
wait_for 150 0.1 leased || fail "no lease holder"

# 12 lines on each host: 36 over the fleet (>= 30), 12 on each (< 50).
for h in h0 h1 h2; do
	burst 12 461 Punishment "$h-" >> "$LOGS/$h/game.log"
done
expect_count Punishment 36
fleet_firing() {
	[ -n "$(rc HGET errwatch:alerts:active Punishment@fleet)" ]
}
wait_for 300 0.1 fleet_firing || fail "no fleet alert within 30 s"
active=$(rc HGET errwatch:alerts:active Punishment@fleet)
case $active in *'"host":"fleet"'*'"rule":"static","match":"Punishment"'*'"scope":"fleet"}') ;;
*) fail "fleet alert: $active" ;; esac
[ "$(rc HLEN errwatch:alerts:active)" = 1 ] ||
	fail "host alerts too: $(rc HKEYS errwatch:alerts:active | tr '\n' ' ')"
wait_for 100 0.1 got '"/hook".*Punishment.*fleet' ||
	fail "the fleet alert did not reach the webhook"

# h2 stops: silent after 15 s (its last heartbeat is at most 10 s older
# than its last flush), resolved once it writes again.
kill -TERM "${HPID[h2]}"
wait "${HPID[h2]}" || fail "errwatchd h2 exited $? on SIGTERM"
silent() {
	[ -n "$(rc HGET errwatch:alerts:active HostSilent@h2)" ]
}
wait_for 400 0.1 silent || fail "h2 not reported silent within 40 s"
case $(rc HGET errwatch:alerts:active HostSilent@h2) in
*'"name":"HostSilent"'*'"host":"h2","rule":"silent"'*'"scope":"host"}') ;;
*) fail "silent alert: $(rc HGET errwatch:alerts:active HostSilent@h2)" ;; esac
for h in h0 h1; do
	[ "$(rc HEXISTS errwatch:alerts:active HostSilent@$h)" = 0 ] ||
		fail "$h reported silent while writing"
done
wait_for 100 0.1 got '"/hook".*HostSilent' ||
	fail "HostSilent did not reach the webhook"
start_host h2
burst 1 200 Success back >> "$LOGS/h2/game.log"
wait_for 200 0.1 bash -c "! redis-cli -s '$SOCK' HEXISTS errwatch:alerts:active HostSilent@h2 | grep -qx 1" ||
	fail "HostSilent@h2 not resolved after h2 came back"
n=$(rc XRANGE errwatch:alerts - + | grep -cx HostSilent || true)
[ "$n" = 2 ] || fail "HostSilent events: $n, want firing and resolved"
echo "alerts_fleet: all passed"
