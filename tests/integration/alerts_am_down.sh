# Alertmanager down for 10 s while an alert fires (SPEC §13): the event
# stays pending, errwatch-alerts retries with backoff (logging the failure
# once) and delivers it when Alertmanager is back on the same address;
# then the event is acknowledged. Debian's prometheus-alertmanager with
# config/alertmanager.yml, on loopback.
. "$(dirname "$0")/lib.sh"

command -v curl >/dev/null || skip "curl is not installed"
start_redis
start_receiver
start_alertmanager
write_config
cat >> "$CFG" <<YAML
delivery:
  alertmanager: ["http://127.0.0.1:$AMPORT"]
  resend: 60s
YAML
start_alerts

am_has() {
	curl -sf "http://127.0.0.1:$AMPORT/api/v2/alerts" | grep -q "\"$1\""
}

# Delivered while Alertmanager is up.
xadd_event firing Punishment h1 > /dev/null
wait_for 100 0.1 am_has Punishment || fail "first alert not delivered"
wait_for 50 0.1 pending_is errwatch-alerts 0 || fail "first alert not acked"

# Down: the next alert fires meanwhile and stays pending.
stop_alertmanager
xadd_event firing Kicked h1 > /dev/null
wait_for 100 0.1 grep -q "api/v2/alerts: .*retrying with backoff" \
    "$T/alerts.log" || fail "the failure was not logged"
start=$(date +%s)
while [ $(($(date +%s) - start)) -lt 10 ]; do
	[ "$(pending errwatch-alerts)" = 1 ] || fail "event not pending while down"
	kill -0 "$APID" || fail "errwatch-alerts died"
	sleep 1
done
[ "$(grep -c "api/v2/alerts: .*retrying" "$T/alerts.log")" = 1 ] ||
	fail "the failure was logged more than once"

# Back, same address, empty (no state kept across the restart here):
# the pending event arrives within the backoff (at most 16 s by now).
start_alertmanager "$AMPORT"
wait_for 300 0.1 am_has Kicked || fail "not delivered after Alertmanager came back"
wait_for 50 0.1 pending_is errwatch-alerts 0 || fail "event left pending"
grep -q "api/v2/alerts: delivering again" "$T/alerts.log" ||
	fail "the recovery was not logged"
stop_alerts
echo "alerts_am_down: all passed"
