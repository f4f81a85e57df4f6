#!/usr/bin/env bash
# Run the reliability tier RUNS times in a row while one busy loop per core keeps every core loaded.
#
#   scripts/reliability-under-load.sh [RUNS] [PYTEST ARGS...]   # default: 20 runs
#
# The tier runs on WORKERS pytest-xdist workers (default 4, twice the cores of a 2-core machine), so its
# tests also compete with each other; the soak test is handed out first, as it is the longest.
# Each run's outcome and wall time go to stdout (one line each); the loops are stopped by the
# process ids this script started, on exit and on interruption. Exits non-zero if any run failed.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
shift || true
python_bin="${OCC_PYTHON:-.venv/bin/python}"
workers="${WORKERS:-4}"
cores="$(nproc)"
loops=()
run_pid=""
stop_loops() {
    ((${#loops[@]})) && kill "${loops[@]}" 2>/dev/null || true
    [ -z "$run_pid" ] || kill "$run_pid" 2>/dev/null || true
}
trap stop_loops EXIT
# Interrupted: stop the current run and the remaining ones too (EXIT then stops the loops). Each
# run is waited for with `wait`, which a signal interrupts (a foreground command would not be).
trap 'exit 130' INT TERM
for _ in $(seq "$cores"); do
    # A busy loop bounded in time: it ends on its own after 6 hours if this script is killed hard.
    timeout 21600 bash -c 'while :; do :; done' &
    loops+=("$!")
done
echo "load: ${#loops[@]} busy loops on $cores cores"
failed=0
for run in $(seq "$runs"); do
    start=$SECONDS
    "$python_bin" -m pytest -q -p no:cacheprovider -n "$workers" \
        tests/reliability/test_soak.py tests/reliability "$@" >"${TMPDIR:-/tmp}/occ-reliability-run-$run.log" 2>&1 &
    run_pid=$!
    if wait "$run_pid"; then
        outcome=passed
    else
        outcome=FAILED
        failed=$((failed + 1))
    fi
    echo "run $run/$runs: $outcome in $((SECONDS - start)) s: $(tail -n 1 "${TMPDIR:-/tmp}/occ-reliability-run-$run.log")"
done
echo "$((runs - failed))/$runs runs passed under load"
((failed == 0))
