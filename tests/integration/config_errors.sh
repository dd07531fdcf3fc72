# Every kind of bad config of SPEC §11 exits 78 from --check-config, the
# daemon and --scan, with the file:line:column of the offending key or
# value in the message; a good config exits 0.
. "$(dirname "$0")/lib.sh"

TABLE=$EW_SRC/data/error-codes.tsv

# check NAME WANT_POSITION YAML: --check-config must exit 78 and print
# "<cfg>:<WANT_POSITION>:".
check() {
	local name=$1 pos=$2 yaml=$3 out st=0
	printf '%s\n' "$yaml" > "$T/$name.yaml"
	out=$("$EW_BIN" --check-config -c "$T/$name.yaml" 2>&1) || st=$?
	[ $st -eq 78 ] || fail "$name: exit $st, want 78 ($out)"
	case $out in
	*"$T/$name.yaml:$pos:"*) ;;
	*) fail "$name: message lacks $name.yaml:$pos: ($out)" ;;
	esac
	echo "ok $name: $out"
}

check unknown_key 2:1 "table: $TABLE
colour: red
inputs: [{paths: [/tmp/x.log]}]"
check nested_unknown 4:5 "table: $TABLE
inputs:
  - paths: [/tmp/x.log]
    colour: red"
check wrong_type 2:17 "table: $TABLE
max_open_files: many
inputs: [{paths: [/tmp/x.log]}]"
check bad_duration 4:18 "table: $TABLE
inputs:
  - paths: [/tmp/x.log]
    rotate_wait: 5 seconds"
check bad_size 4:15 "table: $TABLE
inputs:
  - paths: [/tmp/x.log]
    max_line: 64KB"
check bad_glob 3:13 "table: $TABLE
inputs:
  - paths: ['/tmp/[x.log']"
check bad_pattern 4:16 "table: $TABLE
inputs:
  - paths: [/tmp/x.log]
    patterns: ['code=(?<code>\\d+']"
check pattern_without_group 4:16 "table: $TABLE
inputs:
  - paths: [/tmp/x.log]
    patterns: ['code=\\d+']"
check missing_table 1:8 "table: $T/nope.tsv
inputs: [{paths: [/tmp/x.log]}]"
check unknown_match 5:15 "table: $TABLE
inputs: [{paths: [/tmp/x.log]}]
alerts:
  rules:
    - {match: Punishmnet, threshold: 5}"
check unknown_fleet_match 6:17 "table: $TABLE
inputs: [{paths: [/tmp/x.log]}]
alerts:
  fleet:
    rules:
      - {match: Sucess, drop: true}"
check second_drop_rule 6:15 "table: $TABLE
inputs: [{paths: [/tmp/x.log]}]
alerts:
  rules:
    - {match: Success, drop: true}
    - {match: Success, drop: true}"

# SPEC §2: --check-config makes every check a program makes at start.
# The Redis URL's syntax, at the url value:
check bad_url_port 3:8 "table: $TABLE
redis:
  url: redis://127.0.0.1:notaport/0
inputs: [{paths: [/tmp/x.log]}]"
check bad_url_tls 3:8 "table: $TABLE
redis:
  url: rediss://127.0.0.1/0
inputs: [{paths: [/tmp/x.log]}]"
# A password file that cannot be read, at the password_file value:
check missing_password_file 3:18 "table: $TABLE
redis:
  password_file: $T/no-such-password
inputs: [{paths: [/tmp/x.log]}]"
# More classes than a program counts, at the table key:
{
	printf 'code\tname\tcategory\tdescription\n'
	for i in $(seq 1 300); do
		printf '%d\tClass%d\trequest\tclass %d\n' $((10000 + i)) $i $i
	done
} > "$T/big.tsv"
check too_many_classes 1:8 "table: $T/big.tsv
inputs: [{paths: [/tmp/x.log]}]"
out=$("$EW_BIN" --check-config -c "$T/too_many_classes.yaml" 2>&1) || true
case $out in *"301 classes"*"more than the 256"*) ;;
*) fail "too_many_classes: message ($out)" ;; esac
out=$("$EW_BIN" --check-config -c "$T/bad_url_port.yaml" 2>&1) || true
case $out in *"redis.url: bad port: expected a number from 1 to 65535"*) ;;
*) fail "bad_url_port: message ($out)" ;; esac
# The daemon and --once refuse them the same way, at the same position:
# nothing --check-config accepts makes a program exit 78.
for case in bad_url_port:3:8 missing_password_file:3:18 \
    too_many_classes:1:8; do
	name=${case%%:*}
	pos=${case#*:}
	for mode in "" --once; do
		st=0
		out=$("$EW_BIN" $mode -c "$T/$name.yaml" 2>&1) || st=$?
		[ $st -eq 78 ] ||
			fail "$name ${mode:-daemon}: exit $st, want 78"
		case $out in *"$T/$name.yaml:$pos: "*) ;;
		*) fail "$name ${mode:-daemon}: not at $pos ($out)" ;; esac
	done
done
# ERRWATCH_REDIS_URL overrides redis.url (SPEC §4); an error in it names
# the variable.
printf 'table: %s\ninputs: [{paths: [/tmp/x.log]}]\n' "$TABLE" \
    > "$T/env.yaml"
st=0
out=$(ERRWATCH_REDIS_URL=redis://h:0 \
    "$EW_BIN" --check-config -c "$T/env.yaml" 2>&1) || st=$?
[ $st -eq 78 ] || fail "ERRWATCH_REDIS_URL: exit $st, want 78"
case $out in *"ERRWATCH_REDIS_URL: bad port"*) ;;
*) fail "ERRWATCH_REDIS_URL: message ($out)" ;; esac
# The summary never shows a password.
out=$(ERRWATCH_REDIS_URL=redis://u:topsecret@h:7/2 \
    "$EW_BIN" --check-config -c "$T/env.yaml")
case $out in *topsecret*) fail "the summary shows the password" ;; esac
case $out in *"redis://u:***@h:7/2"*) ;;
*) fail "the summary lacks the URL ($out)" ;; esac

# The PCRE2 message and offset are in the message.
out=$("$EW_BIN" --check-config -c "$T/bad_pattern.yaml" 2>&1) || true
case $out in *offset*) ;; *) fail "bad_pattern: no PCRE2 offset ($out)" ;; esac

# The daemon and --scan refuse the same config the same way.
st=0; "$EW_BIN" -c "$T/unknown_key.yaml" 2>/dev/null || st=$?
[ $st -eq 78 ] || fail "daemon on a bad config: exit $st, want 78"
st=0; echo | "$EW_BIN" --scan -c "$T/bad_size.yaml" >/dev/null 2>&1 || st=$?
[ $st -eq 78 ] || fail "--scan on a bad config: exit $st, want 78"

# A good config: exit 0 and a summary, with the files its globs match now
# (SPEC §2), excludes left out.
printf 'table: %s\ninputs: [{paths: ["%s/*.log*"], exclude: "*.gz"}]\n' \
    "$TABLE" "$LOGS" > "$T/good.yaml"
: > "$LOGS/a.log"; : > "$LOGS/b.log"; : > "$LOGS/b.log.1.gz"
mkdir "$LOGS/d.log"
"$EW_BIN" --check-config -c "$T/good.yaml" > "$T/good.out" ||
	fail "good config: exit $?"
want="summary 1 inputs, 1 patterns, 0 rules; 40 classes, 2 files matched now"
grep -qx "$want" "$T/good.out" ||
	fail "good config: summary ($(cat "$T/good.out"))"
grep -q "^inputs\[0\].exclude  *\[\*.gz\]$" "$T/good.out" ||
	fail "good config: no key listing ($(cat "$T/good.out"))"
# The example config checks (its table path is the installed one: point it
# at the source tree's).
sed "s#^table: .*#table: $TABLE#" "$EW_SRC/config/errwatch.yaml" > "$T/example.yaml"
"$EW_BIN" --check-config -c "$T/example.yaml" >/dev/null || fail "example config"
# SPEC §9: one spike rule and one drop rule for the same match.
printf '%s\n' "table: $TABLE" "inputs: [{paths: [/tmp/x.log]}]" "alerts:" \
    "  rules:" "    - {match: Success, drop: true}" \
    "    - {match: Success, threshold: 900}" > "$T/both.yaml"
"$EW_BIN" --check-config -c "$T/both.yaml" >/dev/null ||
	fail "a spike and a drop rule for one match"

# No inputs: errwatchd needs them (78 at the top of the file); the fleet
# programs read no log and accept the same file (SPEC §13, §14).
printf '%s\n' "table: $TABLE" "redis: {url: 'redis://127.0.0.1:6379/0'}" \
    > "$T/fleet.yaml"
check_file_no_inputs() {
	local out st=0
	out=$("$EW_BIN" --check-config -c "$T/fleet.yaml" 2>&1) || st=$?
	[ $st -eq 78 ] || fail "no inputs: errwatchd exit $st, want 78 ($out)"
	case $out in
	*"$T/fleet.yaml:1:1: inputs: missing required key"*) ;;
	*) fail "no inputs: errwatchd said: $out" ;;
	esac
	"$EW_ALERTS_BIN" --check-config -c "$T/fleet.yaml" >/dev/null ||
		fail "no inputs: errwatch-alerts refused the config"
	"$EW_WEB_BIN" --check-config -c "$T/fleet.yaml" >/dev/null ||
		fail "no inputs: errwatch-web refused the config"
}
check_file_no_inputs

# Usage errors exit 64.
st=0; "$EW_BIN" --bogus 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "unknown option: exit $st, want 64"
st=0; "$EW_BIN" --scan --once 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "two modes: exit $st, want 64"
st=0; echo | "$EW_BIN" --scan --input nope -c "$T/good.yaml" 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "--input nope: exit $st, want 64"
"$EW_BIN" --version | grep -q '^errwatchd ' || fail "--version"
echo "config_errors: all passed"
