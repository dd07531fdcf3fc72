# systemd/errwatch.service and systemd/errwatch-alerts.service: the
# directives SPEC §10 and §13 require, an exposure of
# at most 1.2 with `systemd-analyze security --offline=true` (Debian's
# redis-server.service scores 1.2), no MemoryDenyWriteExecute=yes (it
# disables the PCRE2 JIT), and `systemd-analyze verify` without a word.
# Needs no Redis, no daemon and no running systemd; without systemd-analyze
# (Debian's systemd package, which scripts/deps.sh installs) it exits 77,
# and so it does when verify cannot run here, after every other check.
set -euo pipefail

: "${EW_SRC:?EW_SRC: source dir}"
: "${EW_BIN:?EW_BIN: path of errwatchd}"
: "${EW_ALERTS_BIN:=$(dirname "$EW_BIN")/errwatch-alerts}"
MAX_EXPOSURE=1.2

T=$(mktemp -d /tmp/ew-test.XXXXXX)
trap 'rm -rf "$T"' EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

if ! command -v systemd-analyze >/dev/null; then
	echo "service_unit: SKIP: systemd-analyze missing (bash scripts/deps.sh)"
	exit 77
fi

# check_unit NAME BIN: every check below on systemd/NAME.service, whose
# ExecStart= runs /usr/sbin/<BIN's name>.
check_unit() {
UNIT=$EW_SRC/systemd/$1.service
BIN=$2
PROG=$(basename "$BIN")
[ -f "$UNIT" ] || fail "$UNIT missing"

# The [Service] section's settings, comments and blank lines dropped.
service_keys() {
	awk '/^\[/{s = ($0 == "[Service]")} s && /^[A-Za-z]/' "$UNIT"
}

# has KEY=VALUE: the [Service] section holds exactly this line.
has() {
	service_keys | grep -qxF -- "$1" || fail "unit lacks $1"
}

# has_key KEY: the [Service] section sets KEY to something non-empty.
has_key() {
	service_keys | grep -q "^$1=." || fail "unit lacks $1="
}

has Type=notify
has_key WatchdogSec
has 'ExecReload=/bin/kill -HUP $MAINPID'
has "ExecStart=/usr/sbin/$PROG"
has Restart=on-failure
has 'RestartPreventExitStatus=64 78'
has DynamicUser=yes
# errwatchd reads the logs through group adm; errwatch-alerts reads none
[ "$PROG" != errwatchd ] || has SupplementaryGroups=adm
has_key LoadCredential
service_keys | grep -q '^LoadCredential=redis-password\(:.*\)\?$' ||
	fail "LoadCredential= does not provide redis-password"
has_key LimitNOFILE
has ConfigurationDirectory=errwatch
# Never root: no User=root, no Group=root, no capabilities.
! service_keys | grep -qE '^(User|Group)=(root|0)$' || fail "runs as root"
has CapabilityBoundingSet=
# PCRE2's JIT needs writable-then-executable memory.
! service_keys | grep -qiE '^MemoryDenyWriteExecute=(yes|true|1|on)$' ||
	fail "MemoryDenyWriteExecute=yes disables the PCRE2 JIT"

# WatchdogSec must leave the 5 s stop flush and a slow reload room: at
# least 10 s. Accepts "30s", "30", "1min".
wd=$(service_keys | sed -n 's/^WatchdogSec=//p')
case $wd in
*min) wd_s=$(( ${wd%min} * 60 )) ;;
*s) wd_s=${wd%s} ;;
*) wd_s=$wd ;;
esac
[ "$wd_s" -ge 10 ] 2>/dev/null || fail "WatchdogSec=$wd: want at least 10s"

# Exposure. LC_ALL=C keeps the numbers' decimal point a dot.
out=$(LC_ALL=C systemd-analyze security --offline=true --no-pager "$UNIT" 2>&1) ||
	{ echo "$out"; fail "systemd-analyze security failed"; }
level=$(printf '%s\n' "$out" |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || { echo "$out"; fail "no overall exposure level"; }
echo "service_unit: $1: overall exposure level $level (at most $MAX_EXPOSURE)"
awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }' || {
	printf '%s\n' "$out" | grep '✗' || true
	fail "exposure $level above $MAX_EXPOSURE"
}

# systemd/errwatch-web.service (SPEC §14): the same shape, no group adm,
# W^X (no JIT there), and the same exposure bound.
WEB_UNIT=$EW_SRC/systemd/errwatch-web.service
[ -f "$WEB_UNIT" ] || fail "$WEB_UNIT missing"
web_keys() {
	awk '/^\[/{s = ($0 == "[Service]")} s && /^[A-Za-z]/' "$WEB_UNIT"
}
for kv in Type=notify 'ExecReload=/bin/kill -HUP $MAINPID' \
    ExecStart=/usr/sbin/errwatch-web Restart=on-failure \
    'RestartPreventExitStatus=64 78' DynamicUser=yes \
    CapabilityBoundingSet= MemoryDenyWriteExecute=yes; do
	web_keys | grep -qxF -- "$kv" || fail "errwatch-web.service lacks $kv"
done
web_keys | grep -q '^WatchdogSec=.' || fail "errwatch-web.service lacks WatchdogSec="
! web_keys | grep -qE '^(User|Group)=(root|0)$' || fail "errwatch-web runs as root"
out=$(LC_ALL=C systemd-analyze security --offline=true --no-pager "$WEB_UNIT" 2>&1) ||
	{ echo "$out"; fail "systemd-analyze security failed on errwatch-web"; }
level=$(printf '%s\n' "$out" |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
[ -n "$level" ] || { echo "$out"; fail "no exposure level for errwatch-web"; }
echo "service_unit: errwatch-web exposure level $level (at most $MAX_EXPOSURE)"
awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l <= m) }' ||
	fail "errwatch-web exposure $level above $MAX_EXPOSURE"
if [ -n "${EW_WEB_BIN:-}" ]; then
	sed "s#^ExecStart=/usr/sbin/errwatch-web#ExecStart=$EW_WEB_BIN#" \
	    "$WEB_UNIT" > "$T/errwatch-web.service"
	if vout=$(cd "$T" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify \
	    --man=no ./errwatch-web.service 2>&1); then
		[ -z "$vout" ] || { echo "$vout"; fail "verify complained about errwatch-web.service"; }
	fi
fi

# verify: unknown keys, bad values and a missing binary are all reported
# on stderr (with exit 0 for most), so any output at all fails. The unit
# points at /usr/sbin/errwatchd, which need not be installed here: verify
# a copy that runs the built binary instead. It needs no running systemd.
sed -e "s#^ExecStart=/usr/sbin/$PROG#ExecStart=$BIN#" \
    -e "s#^ExecPaths=/usr/sbin/$PROG#ExecPaths=$BIN#" "$UNIT" > "$T/$1.service"
if vout=$(cd "$T" && SYSTEMD_LOG_COLOR=0 systemd-analyze verify --man=no \
    "./$1.service" 2>&1); then
	[ -z "$vout" ] || { echo "$vout"; fail "$1: systemd-analyze verify complained"; }
	echo "service_unit: $1: systemd-analyze verify clean"
elif printf '%s\n' "$vout" | grep -qiE 'sysinit.target|Failed to (initialize|connect|set up manager)'; then
	echo "service_unit: $1: verify cannot run offline here:"
	printf '  %s\n' "$vout"
	VERIFY_SKIPPED=1
else
	echo "$vout"
	fail "$1: systemd-analyze verify failed"
fi
}

VERIFY_SKIPPED=0
check_unit errwatch "$EW_BIN"
check_unit errwatch-alerts "$EW_ALERTS_BIN"
if [ "$VERIFY_SKIPPED" = 1 ]; then
	echo "service_unit: SKIP: every other check passed, but systemd-analyze verify cannot run offline here"
	exit 77
fi
echo "service_unit: all passed"
