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

# The PCRE2 message and offset are in the message.
out=$("$EW_BIN" --check-config -c "$T/bad_pattern.yaml" 2>&1) || true
case $out in *offset*) ;; *) fail "bad_pattern: no PCRE2 offset ($out)" ;; esac

# The daemon and --scan refuse the same config the same way.
st=0; "$EW_BIN" -c "$T/unknown_key.yaml" 2>/dev/null || st=$?
[ $st -eq 78 ] || fail "daemon on a bad config: exit $st, want 78"
st=0; echo | "$EW_BIN" --scan -c "$T/bad_size.yaml" >/dev/null 2>&1 || st=$?
[ $st -eq 78 ] || fail "--scan on a bad config: exit $st, want 78"

# A good config: exit 0 and a summary.
printf 'table: %s\ninputs: [{paths: ["%s/*.log"]}]\n' "$TABLE" "$LOGS" > "$T/good.yaml"
"$EW_BIN" --check-config -c "$T/good.yaml" | grep -q "1 inputs, 1 patterns, 0 rules" ||
	fail "good config: no summary"
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

# Usage errors exit 64.
st=0; "$EW_BIN" --bogus 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "unknown option: exit $st, want 64"
st=0; "$EW_BIN" --scan --once 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "two modes: exit $st, want 64"
st=0; echo | "$EW_BIN" --scan --input nope -c "$T/good.yaml" 2>/dev/null || st=$?
[ $st -eq 64 ] || fail "--input nope: exit $st, want 64"
"$EW_BIN" --version | grep -q '^errwatchd ' || fail "--version"
echo "config_errors: all passed"
