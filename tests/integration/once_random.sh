# SPEC §6, §8: randomized sequences of writes, partial lines, renames,
# copytruncates, deletes, errwatchd kills and Redis restarts, checked
# against an exact model after each sequence (random_driver.py says how
# the model stays exact). The seed is printed; ERRWATCH_RANDOM_SEED
# replays a run, ERRWATCH_RANDOM_SEQS runs more sequences (default 200).
. "$(dirname "$0")/lib.sh"

FLUSH=100ms ROTATE_WAIT=300ms PATHS="$LOGS/*.log*" write_config
export T LOGS SOCK CFG EW_BIN
st=0
python3 "$EW_SRC/tests/integration/random_driver.py" || st=$?
if [ -f "$T/daemon.pid" ]; then
	kill -9 "$(cat "$T/daemon.pid")" 2>/dev/null || true
fi
[ $st -eq 0 ] || fail "random sequences differ from the model"
echo "once_random: all passed"
