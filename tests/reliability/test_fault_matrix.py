"""The fault matrix: every fault x every kind of call x both platforms x sync and async.

Each cell asserts the documented typed error (or a correct answer), that it comes within the
timeout plus a small margin, how many requests reached the server (retried or not), and that
no socket or thread is left open. ``docs/reliability.md`` holds the same table, rendered from
:data:`FAULTS` by :func:`render_table` (a test keeps the two identical).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest

from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from openai_compatible_client import errors as E
from openai_compatible_client.transport.http import AsyncTransport, Call, Transport, TransportSettings
from tests.reliability.conftest import API_KEY, LOADED_SLACK, RecordedPolicy, assert_no_leaks, snapshot
from tests.support.faults import FaultServer, closed_port_url

# 2 s, not less: a fault server starved for longer than the timeout before its first byte turns a
# stall after two stream items into a timeout before any item, which is rightly retried (seen at 0.4 s).
TIMEOUT = 2.0
# The faults whose outcome is the timeout run with TIMEOUT; every other fault is over as soon as the
# server has answered, so its cells get a long timeout: a fault server starved on a loaded machine
# must not turn a cut connection or a 503 into a timeout (it did once: cut-completion-ollama-sync).
TIMED_FAULTS = frozenset({"hang", "drip", "stall"})
UNTIMED_TIMEOUT = 10.0
# The timed faults outlast every bound by far: a hang or a drip of a JSON body lasts 30 s.
MARGIN = LOADED_SLACK
# Connecting to loopback never legitimately takes long; a short connect timeout only adds
# starvation-made connect failures (retried, correctly, even for a non-idempotent call).
CONNECT_TIMEOUT = 5.0
MAX_RETRIES = 1
DOC = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"

KINDS = ("chat", "chat_stream", "completion", "embeddings", "platform", "progress")
STREAMS = frozenset({"chat_stream", "progress"})
PATHS = {
    ("vllm", "chat"): "/v1/chat/completions",
    ("vllm", "chat_stream"): "/v1/chat/completions",
    ("vllm", "completion"): "/v1/completions",
    ("vllm", "embeddings"): "/v1/embeddings",
    ("vllm", "platform"): "/tokenize",
    ("ollama", "chat"): "/api/chat",
    ("ollama", "chat_stream"): "/api/chat",
    ("ollama", "completion"): "/api/generate",
    ("ollama", "embeddings"): "/api/embed",
    ("ollama", "platform"): "/api/show",
    ("ollama", "progress"): "/api/pull",
}
KIND_TITLES = {
    "chat": "chat",
    "chat_stream": "chat stream",
    "completion": "completion",
    "embeddings": "embeddings",
    "platform": "platform endpoint",
    "progress": "Ollama progress stream (not idempotent)",
}


@dataclass(frozen=True)
class Outcome:
    """What a cell must give: an error class (``None``: a correct answer) and whether it is retried."""

    error: type[BaseException] | None
    retried: bool


@dataclass(frozen=True)
class Fault:
    """A row of the matrix."""

    title: str
    plan: dict[str, Any] | None  # None: connection refused (a closed port)
    call: Callable[[str, str], Outcome | None]  # (kind, platform) -> outcome; None: does not apply


def _same(error: type[BaseException] | None, retried: bool) -> Callable[[str, str], Outcome]:
    return lambda kind, platform: Outcome(error, retried)


def _by_framing(single: Outcome | None, stream: Outcome | None) -> Callable[[str, str], Outcome | None]:
    return lambda kind, platform: stream if kind in STREAMS else single


def _stream_error(kind: str, platform: str) -> Outcome | None:
    if kind not in STREAMS:
        return None
    return Outcome(E.InternalServerError if platform == "vllm" else E.APIError, False)


FAULTS: dict[str, Fault] = {
    "refused": Fault("connection refused", None, _same(E.APIConnectionError, True)),
    "hang": Fault("accepts, never answers", {"kind": "hang"}, _same(E.APITimeoutError, True)),
    "drip": Fault(
        "answers slowly (a few bytes every 0.1 s)",
        {"kind": "drip", "gap": 0.1},
        _by_framing(Outcome(E.APITimeoutError, True), Outcome(None, False)),
    ),
    "stall": Fault(
        "stops mid-body (stream: after 2 items), connection open",
        {"kind": "stall", "after": 2},
        _by_framing(Outcome(E.APITimeoutError, True), Outcome(E.APITimeoutError, False)),
    ),
    "cut": Fault(
        "closes mid-body (stream: after 2 items)",
        {"kind": "cut", "after": 2},
        _by_framing(Outcome(E.APIConnectionError, True), Outcome(E.IncompleteStreamError, False)),
    ),
    "malformed": Fault(
        "malformed JSON (stream: after 2 items)",
        {"kind": "malformed", "after": 2},
        _same(E.APIResponseValidationError, False),
    ),
    "no_terminator": Fault(
        "stream without its terminator",
        {"kind": "no_terminator"},
        _by_framing(None, Outcome(E.IncompleteStreamError, False)),
    ),
    "stream_error": Fault("error event mid-stream", {"kind": "stream_error", "after": 2}, _stream_error),
    "429_retry_after": Fault(
        "429 with Retry-After: 1",
        {"kind": "status", "status": 429, "headers": {"Retry-After": "1"}},
        _same(E.RateLimitError, True),
    ),
    "429": Fault("429 without Retry-After", {"kind": "status", "status": 429}, _same(E.RateLimitError, True)),
    "500": Fault("500", {"kind": "status", "status": 500}, _same(E.InternalServerError, True)),
    "502": Fault("502", {"kind": "status", "status": 502}, _same(E.InternalServerError, True)),
    "503": Fault("503", {"kind": "status", "status": 503}, _same(E.InternalServerError, True)),
    "504": Fault("504", {"kind": "status", "status": 504}, _same(E.InternalServerError, True)),
    "html": Fault(
        "HTML page instead of JSON (200)", {"kind": "html"}, _same(E.APIResponseValidationError, False)
    ),
    "redirect": Fault("307 redirect to another host", {"kind": "redirect"}, _same(None, False)),
}


# Faults after which the server provably did no work: even a non-idempotent call is resent.
NOTHING_DONE = frozenset({"refused", "429_retry_after", "429", "503"})
NON_IDEMPOTENT = frozenset({"progress"})  # pull/push/create change server state (idempotent=False)


def expected(fault_id: str, kind: str, platform: str) -> Outcome | None:
    """The outcome a cell must show."""
    outcome = FAULTS[fault_id].call(kind, platform)
    if outcome is not None and kind in NON_IDEMPOTENT and fault_id not in NOTHING_DONE:
        return Outcome(outcome.error, False)
    return outcome


def _cells() -> list[Any]:
    cells = []
    for fault_id in FAULTS:
        for kind in KINDS:
            for platform in ("vllm", "ollama"):
                if (platform, kind) not in PATHS or expected(fault_id, kind, platform) is None:
                    continue
                for mode in ("sync", "async"):
                    cells.append(
                        pytest.param(
                            fault_id, kind, platform, mode, id=f"{fault_id}-{kind}-{platform}-{mode}"
                        )
                    )
    return cells


# ------------------------------------------------------------------ one call of each kind


def settled_count(faults: FaultServer, path: str, expected: int, settle: float = 5.0) -> int:
    """The server's request count once it reaches ``expected`` (or ``settle`` seconds pass): a starved
    fault server can count a request after the client has already timed out on it."""
    deadline = time.monotonic() + settle
    while (seen := faults.count(path)) < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen


def _settings(url: str, platform: str, timeout: float = UNTIMED_TIMEOUT) -> TransportSettings:
    return TransportSettings(
        root_url=url,
        platform=platform,
        api_key=API_KEY,
        timeout=timeout,
        connect_timeout=CONNECT_TIMEOUT,
        retry=RecordedPolicy(max_retries=MAX_RETRIES),
    )


def _direct_call(kind: str) -> Call:
    if kind == "progress":
        return Call(
            "ollama",
            "POST /api/pull",
            "POST",
            "/api/pull",
            json={"model": "llama3.2", "stream": True},
            framing="ndjson",
            terminator="ndjson_success",
            idempotent=False,
        )
    return Call("ollama", "POST /api/show", "POST", "/api/show", json={"model": "llama3.2"})


def _facade_args(kind: str) -> tuple[str, dict[str, Any]]:
    messages = [{"role": "user", "content": "hi there"}]
    return {
        "chat": ("chat.completions.create", {"model": "m", "messages": messages}),
        "chat_stream": ("chat.completions.create", {"model": "m", "messages": messages, "stream": True}),
        "completion": ("completions.create", {"model": "m", "prompt": "hi there"}),
        "embeddings": ("embeddings.create", {"model": "m", "input": "hi there"}),
        "platform": ("tokenizer.encode", {"model": "m", "prompt": "hi there"}),
    }[kind]


def _method(client: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        client = getattr(client, part)
    return client


@dataclass
class Result:
    value: Any = None
    items: list[Any] | None = None
    error: BaseException | None = None


def run_sync(kind: str, platform: str, url: str, timeout: float = UNTIMED_TIMEOUT) -> Result:
    """Make one call of ``kind``; a stream is read to its end (items kept even when it breaks)."""
    result = Result(items=[] if kind in STREAMS else None)
    direct = platform == "ollama" and kind in ("platform", "progress")
    if direct:
        transport = Transport(_settings(url, platform, timeout))
        try:
            if kind == "progress":
                for item in transport.stream(_direct_call(kind)):
                    result.items.append(item)  # type: ignore[union-attr]
            else:
                result.value = transport.send(_direct_call(kind)).json()
        except Exception as exc:
            result.error = exc
        finally:
            transport.close()
        return result
    method, kwargs = _facade_args(kind)
    with OpenAICompatibleClient(
        base_url=url,
        api_key=API_KEY,
        platform=platform,
        max_retries=MAX_RETRIES,
        timeout=timeout,
        connect_timeout=CONNECT_TIMEOUT,
    ) as client:
        try:
            value = _method(client, method)(**kwargs)
            if kind in STREAMS:
                with value as stream:
                    for item in stream:
                        result.items.append(item)  # type: ignore[union-attr]
            else:
                result.value = value
        except Exception as exc:
            result.error = exc
    return result


def run_async(kind: str, platform: str, url: str, timeout: float = UNTIMED_TIMEOUT) -> Result:
    """The async twin of :func:`run_sync` (same calls through the async client)."""

    async def go() -> Result:
        result = Result(items=[] if kind in STREAMS else None)
        if platform == "ollama" and kind in ("platform", "progress"):
            transport = AsyncTransport(_settings(url, platform, timeout))
            try:
                if kind == "progress":
                    async for item in await transport.stream(_direct_call(kind)):
                        result.items.append(item)  # type: ignore[union-attr]
                else:
                    result.value = (await transport.send(_direct_call(kind))).json()
            except Exception as exc:
                result.error = exc
            finally:
                await transport.aclose()
            return result
        method, kwargs = _facade_args(kind)
        async with AsyncOpenAICompatibleClient(
            base_url=url,
            api_key=API_KEY,
            platform=platform,
            max_retries=MAX_RETRIES,
            timeout=timeout,
            connect_timeout=CONNECT_TIMEOUT,
        ) as client:
            try:
                value = await _method(client, method)(**kwargs)
                if kind in STREAMS:
                    async with value as stream:
                        async for item in stream:
                            result.items.append(item)  # type: ignore[union-attr]
                else:
                    result.value = value
            except Exception as exc:
                result.error = exc
        return result

    return asyncio.run(go())


def check_answer(kind: str, result: Result) -> None:
    """A correct answer of each kind (the fault server echoes the prompt)."""
    assert result.error is None, repr(result.error)
    if kind == "chat":
        assert result.value.choices[0].message.content == "You said: hi there"
    elif kind == "chat_stream":
        text = "".join(chunk.choices[0].delta.content or "" for chunk in result.items if chunk.choices)
        assert text == "You said: hi there"
    elif kind == "completion":
        assert result.value.choices[0].text == "You said: hi there"
    elif kind == "embeddings":
        assert result.value.data[0].embedding == [0.25, -0.5, 1.0]
    elif kind == "platform":
        assert result.value["tokens"] == [101, 102] if "tokens" in result.value else result.value["details"]
    elif kind == "progress":
        assert result.items and result.items[-1]["status"] == "success"


# ------------------------------------------------------------------ the matrix


@pytest.mark.parametrize(("fault_id", "kind", "platform", "mode"), _cells())
def test_cell(
    fault_id: str, kind: str, platform: str, mode: str, faults: FaultServer, recorded_retries: list[float]
) -> None:
    fault = FAULTS[fault_id]
    outcome = expected(fault_id, kind, platform)
    assert outcome is not None
    path = PATHS[(platform, kind)]
    url = faults.url
    if fault.plan is None:
        url = closed_port_url()
    else:
        faults.plan(path, **fault.plan)
    timeout = TIMEOUT if fault_id in TIMED_FAULTS else UNTIMED_TIMEOUT
    before = snapshot()
    started = time.monotonic()
    result = (run_sync if mode == "sync" else run_async)(kind, platform, url, timeout)
    elapsed = time.monotonic() - started

    attempts = MAX_RETRIES + 1 if outcome.retried else 1
    if outcome.error is None:
        check_answer(kind, result)
    else:
        assert isinstance(result.error, outcome.error), repr(result.error)
        assert type(result.error).__module__ == E.__name__, "a typed error of this library"
        assert isinstance(result.error, E.OpenAICompatibleError) and isinstance(result.error, openai.APIError)
        assert platform in str(result.error) and path in str(result.error)
        assert API_KEY not in str(result.error) and API_KEY not in repr(result.error)
    if fault.plan is not None:
        assert settled_count(faults, path, attempts) == attempts
    assert len(recorded_retries) == attempts - 1
    if fault_id == "429_retry_after":
        assert recorded_retries == [1.0], "Retry-After is honoured"
    if kind in STREAMS and fault_id in ("stall", "cut", "malformed", "stream_error"):
        assert len(result.items or []) >= 1, "items before the break were delivered, then the error"
    if fault_id == "redirect":
        assert faults.count(path, other=True) == 1
        assert faults.stats()["auth"] == [True]
        assert faults.stats(other=True)["auth"] == [False], (
            "Authorization must not follow a redirect off-host"
        )
    # Every attempt is bounded by the timeout; drip adds at most one gap per attempt.
    assert elapsed < attempts * (timeout + 0.1) + MARGIN, f"{elapsed:.2f} s"
    assert_no_leaks(before)


# ------------------------------------------------------------------ retry contract, real delays


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_one_503_costs_max_retries_plus_one(faults: FaultServer, mode: str) -> None:
    faults.plan("/v1/chat/completions", "status", status=503)
    started = time.monotonic()
    result = (run_sync if mode == "sync" else run_async)("chat", "vllm", faults.url)
    assert isinstance(result.error, E.InternalServerError)
    assert faults.count("/v1/chat/completions") == MAX_RETRIES + 1
    # The default policy's first backoff is 0.375-0.5 s (0.5 s less up to 25 % jitter).
    assert 0.35 <= time.monotonic() - started < 0.5 + 2 * TIMEOUT + MARGIN


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_retry_after_is_waited_then_success(faults: FaultServer, mode: str) -> None:
    faults.plan("/v1/chat/completions", "status", status=429, headers={"Retry-After": "1"}, times=1)
    started = time.monotonic()
    result = (run_sync if mode == "sync" else run_async)("chat", "vllm", faults.url)
    check_answer("chat", result)
    assert faults.count("/v1/chat/completions") == 2
    assert 1.0 <= time.monotonic() - started < 1.0 + MARGIN


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_long_retry_after_is_not_waited(faults: FaultServer, mode: str) -> None:
    faults.plan("/v1/chat/completions", "status", status=429, headers={"Retry-After": "3600"})
    started = time.monotonic()
    result = (run_sync if mode == "sync" else run_async)("chat", "vllm", faults.url)
    assert isinstance(result.error, E.RateLimitError)
    assert faults.count("/v1/chat/completions") == 1
    assert time.monotonic() - started < 5, "an hour-long Retry-After is not waited for"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_transient_fault_then_success(faults: FaultServer, mode: str, recorded_retries: list[float]) -> None:
    for path in ("/v1/chat/completions", "/v1/embeddings"):
        faults.plan(path, "status", status=502, times=1)
    for kind in ("chat", "embeddings"):
        check_answer(kind, (run_sync if mode == "sync" else run_async)(kind, "vllm", faults.url))
    assert faults.count("/v1/chat/completions") == 2 and faults.count("/v1/embeddings") == 2


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_non_idempotent_call_is_not_resent_after_it_may_have_run(faults: FaultServer, mode: str) -> None:
    call = Call("ollama", "POST /api/create", "POST", "/api/create", json={"model": "x"}, idempotent=False)
    for status, resent in ((500, False), (502, False), (503, True), (429, True)):
        faults.reset()
        faults.plan("/api/create", "status", status=status, headers={"Retry-After": "0"})
        settings = _settings(faults.url, "ollama")
        if mode == "sync":
            transport = Transport(settings)
            with pytest.raises(E.OpenAICompatibleError):
                transport.send(call)
            transport.close()
        else:

            async def go(settings: TransportSettings = settings) -> None:
                transport = AsyncTransport(settings)
                try:
                    with pytest.raises(E.OpenAICompatibleError):
                        await transport.send(call)
                finally:
                    await transport.aclose()

            asyncio.run(go())
        assert faults.count("/api/create") == (MAX_RETRIES + 1 if resent else 1), status


# ------------------------------------------------------------------ the documented table


def _cell_text(outcome: Outcome | None) -> str:
    if outcome is None:
        return "—"
    name = "answer" if outcome.error is None else f"`{outcome.error.__name__}`"
    return f"{name}, {'retried' if outcome.retried else 'not retried'}"


def render_table() -> str:
    """The matrix as markdown: one row per fault, one column per kind of call."""
    header = "| fault | " + " | ".join(KIND_TITLES[k] for k in KINDS) + " |"
    lines = [header, "|" + "---|" * (len(KINDS) + 1)]
    for fault_id, fault in FAULTS.items():
        cells = []
        for kind in KINDS:
            outcomes = {p: expected(fault_id, kind, p) for p in ("vllm", "ollama") if (p, kind) in PATHS}
            texts = {p: _cell_text(o) for p, o in outcomes.items()}
            if len(set(texts.values())) == 1:
                cells.append(next(iter(texts.values())))
            else:
                cells.append("<br>".join(f"{p}: {t}" for p, t in texts.items()))
        lines.append(f"| {fault.title} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("doc", [DOC, DOC.parent.parent / "README.md"], ids=["docs", "readme"])
def test_docs_show_this_matrix(doc: Path) -> None:
    assert render_table() in doc.read_text(encoding="utf-8"), (
        f"regenerate the fault matrix table in {doc.name}"
    )
