#!/usr/bin/env bash
# Run the reliability tier RUNS times in a row while one busy loop per core keeps every core loaded.
#
#   scripts/reliability-under-load.sh [RUNS] [PYTEST ARGS...]   # default: 20 runs
#
# The tier runs on WORKERS pytest-xdist workers (default 4, twice the cores of a 2-core machine), so its
# tests also compete with each other; the soak test is handed out first, as it is the longest.
# Each run's outcome and wall time go to stdout (one line each); the loops are stopped by the
# process ids this script started, on exit and on interruption. Exits non-zero if any run failed.
#
# Each run is its own process group (job control is on), so an interruption reaches pytest, its
# workers and every server they started: SIGINT first, so their teardowns run and stop their
# servers, then SIGKILL to whatever of the group is left after GRACE seconds (default 15).
set -euo pipefail
# Job control: each background job gets its own process group, and the shell does not set SIGINT
# to ignored in it (a non-interactive shell without job control does).
set -m
cd "$(dirname "$0")/.."
runs="${1:-20}"
shift || true
python_bin="${OCC_PYTHON:-.venv/bin/python}"
workers="${WORKERS:-4}"
grace="${GRACE:-15}"
cores="$(nproc)"
loops=()
run_group=""
restore_sigint='import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); os.execv(sys.argv[1], sys.argv[1:])'
group_alive() { kill -0 -- "-$1" 2>/dev/null; }
stop_run() {
    [ -n "$run_group" ] && group_alive "$run_group" || return 0
    kill -INT -- "-$run_group" 2>/dev/null || true
    for _ in $(seq $((grace * 10))); do
        group_alive "$run_group" || return 0
        sleep 0.1
    done
    kill -KILL -- "-$run_group" 2>/dev/null || true
}
stop_all() {
    ((${#loops[@]})) && kill "${loops[@]}" 2>/dev/null || true
    stop_run
}
trap stop_all EXIT
# Interrupted: stop the current run and the remaining ones too (EXIT then stops the loops and the
# run). Each run is waited for with `wait`, which a signal interrupts (a foreground command would not be).
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
    # SIGINT may be ignored on entry (nohup, a CI runner's background job), which bash cannot undo
    # and pytest would inherit: Python resets it to the default, then becomes the pytest run.
    OCC_UNDER_LOAD_SCRIPT=1 "$python_bin" -c "$restore_sigint" "$python_bin" -m pytest -q -p no:cacheprovider -n "$workers" \
        tests/reliability/test_soak.py tests/reliability "$@" >"${TMPDIR:-/tmp}/occ-reliability-run-$run.log" 2>&1 &
    run_group=$!
    if wait "$run_group"; then
        outcome=passed
    else
        outcome=FAILED
        failed=$((failed + 1))
    fi
    echo "run $run/$runs: $outcome in $((SECONDS - start)) s: $(tail -n 1 "${TMPDIR:-/tmp}/occ-reliability-run-$run.log")"
done
echo "$((runs - failed))/$runs runs passed under load"
((failed == 0))
