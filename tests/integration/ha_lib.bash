# ha_lib.bash: sourced after lib.sh by the ha_*.sh scenarios (SPEC §15).
# Debian's redis-server and redis-sentinel on free loopback ports, each
# with its own directory and writable config under $T, run in the
# foreground so their pids go into EXTRA_PIDS and cleanup kills them by
# pid. Not a scenario itself: the .bash name keeps CMake's *.sh glob off it.

command -v redis-sentinel >/dev/null || skip "redis-sentinel is not installed"

MASTER_NAME=mymaster
declare -A NODE_PID NODE_PORT

# start_node NAME PORT [MASTER_PORT]: a redis-server on 127.0.0.1:PORT,
# a replica of MASTER_PORT when given. Nothing is saved: a SIGKILLed
# node comes back empty, as after a crash without AOF.
start_node() {
	local name=$1 port=$2 of=${3:-}
	mkdir -p "$T/$name"
	redis-server --port "$port" --bind 127.0.0.1 --save '' \
	    --appendonly no --dir "$T/$name" --logfile "$T/$name.log" \
	    --repl-diskless-sync yes --repl-diskless-sync-delay 0 \
	    ${of:+--replicaof 127.0.0.1 "$of"} &
	NODE_PID[$name]=$!
	NODE_PORT[$name]=$port
	EXTRA_PIDS="$EXTRA_PIDS $!"
	wait_for 100 0.05 redis-cli -p "$port" ping ||
		fail "redis-server $name did not start"
}

# start_sentinel NAME PORT MASTER_PORT [QUORUM [DOWN_AFTER_MS]]: a
# sentinel monitoring $MASTER_NAME at 127.0.0.1:MASTER_PORT. Its config
# file is its own: Sentinel rewrites it.
start_sentinel() {
	local name=$1 port=$2 mport=$3 quorum=${4:-2} down=${5:-1000}
	mkdir -p "$T/$name"
	cat > "$T/$name.conf" <<CONF
port $port
bind 127.0.0.1
dir $T/$name
logfile $T/$name.log
sentinel announce-ip 127.0.0.1
sentinel monitor $MASTER_NAME 127.0.0.1 $mport $quorum
sentinel down-after-milliseconds $MASTER_NAME $down
sentinel failover-timeout $MASTER_NAME 4000
sentinel parallel-syncs $MASTER_NAME 1
CONF
	redis-sentinel "$T/$name.conf" &
	NODE_PID[$name]=$!
	NODE_PORT[$name]=$port
	EXTRA_PIDS="$EXTRA_PIDS $!"
	wait_for 100 0.05 redis-cli -p "$port" ping ||
		fail "redis-sentinel $name did not start"
}

# kill_node NAME: SIGKILL, and waits until it is gone.
kill_node() {
	local pid=${NODE_PID[$1]}
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# role PORT: what ROLE says first ("master", "slave"), or nothing.
role() {
	redis-cli -p "$1" --raw ROLE 2>/dev/null | head -n 1
}

# named PORT: the master's port a sentinel names.
named() {
	redis-cli -p "$1" --raw SENTINEL get-master-addr-by-name \
	    "$MASTER_NAME" 2>/dev/null | sed -n 2p
}

named_is() {
	[ "$(named "$1")" = "$2" ]
}

is_master() {
	[ "$(role "$1")" = master ]
}

is_replica() {
	[ "$(role "$1")" = slave ]
}

# synced PORT: a replica whose link to its master is up.
synced() {
	redis-cli -p "$1" INFO replication 2>/dev/null |
	    grep -q '^master_link_status:up'
}

# MASTER_PORT is where lib.sh's rc (and so count, expect_count and
# wait_flushes) reads; scenarios set it to the master of the moment.
rc() {
	redis-cli -p "$MASTER_PORT" "$@"
}

# write_ha_config SENTINEL_PORT...: errwatchd's config with the
# sentinels; url's db still applies (db 0 here), its host is never used.
write_ha_config() {
	local list="" p
	for p in "$@"; do
		list="$list${list:+, }\"127.0.0.1:$p\""
	done
	cat > "$CFG" <<YAML
host: testhost
table: $EW_SRC/data/error-codes.tsv
redis:
  url: redis://192.0.2.1:1/0
  sentinels: [$list]
  master_name: $MASTER_NAME
  connect_timeout: 1s
  flush_interval: ${FLUSH:-200ms}
inputs:
  - name: app
    paths: ["$LOGS/*.log"]
    start_at: beginning
    rotate_wait: 1s
alerts:
  defaults: {enabled: false}
web:
  listen: "127.0.0.1:${WPORT:-8080}"
  assets: $EW_SRC/web
YAML
}

# start_web: errwatch-web on $CFG (WPORT set before write_ha_config).
start_web() {
	"$EW_WEB_BIN" -c "$CFG" >> "$T/web.log" 2>&1 &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	wait_for 200 0.05 grep -q -- "-> ready" "$T/web.log" ||
		fail "errwatch-web did not reach Redis"
}

# web_total CLASS: the class's total as errwatch-web's JSON API says it.
web_total() {
	curl -sf "http://127.0.0.1:$WPORT/api/v1/totals" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(next((c["total"] for c in d["classes"] if c["name"] == sys.argv[1]), 0))' "$1"
}

web_total_is() {
	[ "$(web_total "$1")" = "$2" ]
}

# ready_in LOG PORT: how many times a program's link became ready on PORT.
ready_in() {
	grep -c -- "-> ready (127.0.0.1:$2," "$1" || true
}

# ms_since T0: milliseconds from T0 (date +%s%3N) to now.
ms_since() {
	echo $(( $(date +%s%3N) - $1 ))
}

# expect_total CLASS N: waits up to 30 s for an exact count on the
# master of the moment (a failover may still be settling).
expect_total() {
	if ! wait_for 300 0.1 count_is "$1" "$2"; then
		fail "count:total $1 = $(count "$1"), want $2"
	fi
}

# evalsha_calls PORT: EVALSHA calls the server has seen (0 when none).
evalsha_calls() {
	local v
	v=$(redis-cli -p "$1" INFO commandstats |
	    sed -n 's/^cmdstat_evalsha:calls=\([0-9]*\),.*/\1/p')
	echo "${v:-0}"
}

count_ge() {
	[ "$(count "$1")" -ge "$2" ]
}

# ready_lines PORT: how many times errwatchd's link became ready on PORT.
ready_lines() {
	grep -c -- "-> ready (127.0.0.1:$1," "$T/daemon.log" || true
}

ready_more() {
	[ "$(ready_lines "$1")" -gt "$2" ]
}
