# Static check (STYLE §10): cppcheck over the build's compile database,
# warnings, performance and portability; any finding fails.
. "$(dirname "$0")/lib.sh"

command -v cppcheck >/dev/null || fail "cppcheck is not installed"
[ -f "$EW_BUILD/compile_commands.json" ] || fail "no compile_commands.json"
# Only the ordinary build: the ASan tree would check the same sources.
if ldd "$EW_BIN" | grep libasan >/dev/null; then	# no -q: SIGPIPE
	skip "the plain build's run checks the same sources"
fi
cppcheck --project="$EW_BUILD/compile_commands.json" \
    --enable=warning,performance,portability --error-exitcode=1 -q \
    --suppress=missingIncludeSystem -j 2 2> "$T/cppcheck.out" ||
	{ cat "$T/cppcheck.out"; fail "cppcheck findings"; }
echo "static_cppcheck: clean"
