"""The clients under test: one ``Case`` per (section, client), built against the benchmark server.

Every case is a zero-argument callable that makes one call the way a user of that client would,
with the client's default settings. A case whose client cannot be built (a missing package, the
facade not written yet) is kept with ``unavailable`` set, so the table still shows the row.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench.payloads import ANSWER, CHAT_MODEL, EMBED_DIM, EMBED_INPUTS, EMBED_MODEL

MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Why is the sky blue?"},
]
EMBED_INPUT = [f"sentence number {i} about why the sky is blue" for i in range(EMBED_INPUTS)]
API_KEY = "bench-key"

# Sections. "chat" and "embed" and "adapter" time one call; "stream" one whole stream;
# "async64" and "async256" one burst of that many concurrent calls.
CHAT, STREAM, EMBED, ADAPTER, BURST = "chat", "stream", "embed", "adapter", "async64"
BURST256 = "async256"
BURSTS = {BURST: 64, BURST256: 256}

# Roles used for the ratio columns and the goals.
FLOOR, OPENAI, PEER, FACADE = "floor", "openai", "peer", "facade"


@dataclass
class Case:
    """One client doing one kind of call.

    ``fn`` is sync (returns the result, or for streams an iterator of chunks) unless ``is_async``,
    in which case it returns an awaitable (for streams: an awaitable giving an async iterator).
    """

    section: str
    name: str
    shape: str
    role: str
    fn: Callable[[], Any] | None = None
    is_async: bool = False
    unavailable: str | None = None
    floor: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.section}/{self.name}"


def _sse_events(lines: Iterator[bytes] | Iterator[str]) -> Iterator[Any]:
    for line in lines:
        if isinstance(line, str):
            line = line.encode()
        if line.startswith(b"data: ") and line != b"data: [DONE]":
            yield json.loads(line[6:])


def _ndjson(lines: Iterator[bytes] | Iterator[str]) -> Iterator[Any]:
    for line in lines:
        if line:
            yield json.loads(line)


async def _asse_events(lines: AsyncIterator[str]) -> AsyncIterator[Any]:
    async for line in lines:
        if line.startswith("data: ") and line != "data: [DONE]":
            yield json.loads(line[6:])


class _Builder:
    """Builds the cases for one server URL, keeping the client objects alive for the whole run."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.v1 = url + "/v1"
        self.cases: list[Case] = []

    def add(
        self,
        section: str,
        name: str,
        shape: str,
        role: str,
        make: Callable[[], Any],
        *,
        is_async: bool = False,
        floor: str | None = None,
    ) -> None:
        try:
            fn = make()
        except Exception as exc:  # keep the row, say why it is empty
            why = f"not available: {_why(exc)}"
            self.cases.append(Case(section, name, shape, role, None, is_async, why, floor))
            return
        self.cases.append(Case(section, name, shape, role, fn, is_async, None, floor))

    def skip(
        self,
        section: str,
        name: str,
        shape: str,
        role: str,
        why: str,
        *,
        is_async: bool = False,
        floor: str | None = None,
    ) -> None:
        self.cases.append(Case(section, name, shape, role, None, is_async, why, floor))


def _why(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text.splitlines()[0][:120]


def prepare_litellm() -> Any:
    """Import LiteLLM the fair way: local cost map, no debug banner, bench models registered."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    import litellm

    litellm.suppress_debug_info = True
    entry = {"max_tokens": 4096, "input_cost_per_token": 0.0, "output_cost_per_token": 0.0}
    litellm.register_model(
        {
            f"ollama_chat/{CHAT_MODEL}": {**entry, "litellm_provider": "ollama_chat", "mode": "chat"},
            f"ollama/{EMBED_MODEL}": {**entry, "litellm_provider": "ollama", "mode": "embedding"},
        }
    )
    return litellm


def facade_status() -> str | None:
    """None when the facade imports, else why not."""
    try:
        from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient  # noqa: F401
    except Exception as exc:
        return f"not available: {_why(exc)}"
    return None


def build(url: str) -> list[Case]:
    """All cases for the server at ``url`` (no trailing slash)."""
    b = _Builder(url)
    _raw(b)
    _openai(b)
    _litellm(b)
    _ollama(b)
    _facade(b)
    return b.cases


def _raw(b: _Builder) -> None:
    import httpx
    import requests

    s, c = requests.Session(), httpx.Client()
    chat_v, chat_o = b.v1 + "/chat/completions", b.url + "/api/chat"
    body = {"model": CHAT_MODEL, "messages": MESSAGES}
    body_o = {"model": CHAT_MODEL, "messages": MESSAGES, "stream": False}
    stream_v = {**body, "stream": True}
    stream_o = {**body, "stream": True}

    def rq_stream(
        u: str, j: dict[str, Any], parse: Callable[[Iterator[bytes]], Iterator[Any]]
    ) -> Iterator[Any]:
        with s.post(u, json=j, stream=True) as r:
            yield from parse(r.iter_lines())

    def hx_stream(
        u: str, j: dict[str, Any], parse: Callable[[Iterator[str]], Iterator[Any]]
    ) -> Iterator[Any]:
        with c.stream("POST", u, json=j) as r:
            yield from parse(r.iter_lines())

    for shape, u, j, sj, parse in (
        ("vllm", chat_v, body, stream_v, _sse_events),
        ("ollama", chat_o, body_o, stream_o, _ndjson),
    ):
        b.add(
            CHAT, f"raw requests ({shape})", shape, FLOOR, lambda u=u, j=j: lambda: s.post(u, json=j).json()
        )
        b.add(CHAT, f"raw httpx ({shape})", shape, FLOOR, lambda u=u, j=j: lambda: c.post(u, json=j).json())
        b.add(
            STREAM,
            f"raw requests ({shape})",
            shape,
            FLOOR,
            lambda u=u, j=sj, p=parse: lambda: rq_stream(u, j, p),
        )
        b.add(
            STREAM,
            f"raw httpx ({shape})",
            shape,
            FLOOR,
            lambda u=u, j=sj, p=parse: lambda: hx_stream(u, j, p),
        )

    emb_v = {"model": EMBED_MODEL, "input": EMBED_INPUT}
    b.add(
        EMBED,
        "raw requests (vllm)",
        "vllm",
        FLOOR,
        lambda: lambda: s.post(b.v1 + "/embeddings", json=emb_v).json(),
    )
    b.add(
        EMBED,
        "raw httpx (vllm)",
        "vllm",
        FLOOR,
        lambda: lambda: c.post(b.v1 + "/embeddings", json=emb_v).json(),
    )
    b.add(
        EMBED,
        "raw requests (ollama)",
        "ollama",
        FLOOR,
        lambda: lambda: s.post(b.url + "/api/embed", json=emb_v).json(),
    )
    b.add(
        EMBED,
        "raw httpx (ollama)",
        "ollama",
        FLOOR,
        lambda: lambda: c.post(b.url + "/api/embed", json=emb_v).json(),
    )

    tok = {"model": CHAT_MODEL, "prompt": "Why is the sky blue?"}
    b.add(
        ADAPTER, "raw requests models (vllm)", "vllm", FLOOR, lambda: lambda: s.get(b.v1 + "/models").json()
    )
    b.add(
        ADAPTER,
        "raw requests tokenize (vllm)",
        "vllm",
        FLOOR,
        lambda: lambda: s.post(b.url + "/tokenize", json=tok).json(),
    )
    b.add(
        ADAPTER,
        "raw requests tags (ollama)",
        "ollama",
        FLOOR,
        lambda: lambda: s.get(b.url + "/api/tags").json(),
    )

    # Each async case gets its own client: the harness runs each async case on its own event loop.
    def hx_async_cases() -> tuple[Callable[[], Any], Callable[[], Any]]:
        # A 256-way burst waits for one of the 128 connections: no 5 s pool timeout on a busy machine.
        ac = httpx.AsyncClient(
            limits=httpx.Limits(max_connections=128, max_keepalive_connections=128), timeout=60.0
        )

        async def call() -> Any:
            return (await ac.post(chat_v, json=body)).json()

        async def stream() -> AsyncIterator[Any]:
            async def gen() -> AsyncIterator[Any]:
                async with ac.stream("POST", chat_v, json=stream_v) as r:
                    async for event in _asse_events(r.aiter_lines()):
                        yield event

            return gen()

        return call, stream

    b.add(CHAT, "raw httpx async (vllm)", "vllm", FLOOR, lambda: hx_async_cases()[0], is_async=True)
    b.add(STREAM, "raw httpx async (vllm)", "vllm", FLOOR, lambda: hx_async_cases()[1], is_async=True)
    b.add(BURST, "raw httpx async (vllm)", "vllm", FLOOR, lambda: hx_async_cases()[0], is_async=True)
    b.add(BURST256, "raw httpx async (vllm)", "vllm", FLOOR, lambda: hx_async_cases()[0], is_async=True)


def _openai(b: _Builder) -> None:
    def make_sync() -> Any:
        from openai import OpenAI

        return OpenAI(base_url=b.v1, api_key=API_KEY)

    def make_async() -> Any:
        from openai import AsyncOpenAI

        return AsyncOpenAI(base_url=b.v1, api_key=API_KEY)

    try:
        oc = make_sync()
        make_async()
    except Exception as exc:
        for section in (CHAT, STREAM, EMBED, ADAPTER, BURST, BURST256):
            b.skip(section, "openai SDK", "vllm", OPENAI, f"not available: {_why(exc)}")
        return
    create = oc.chat.completions.create

    def achat() -> Callable[[], Awaitable[Any]]:
        acreate = make_async().chat.completions.create

        async def call() -> Any:
            return await acreate(model=CHAT_MODEL, messages=MESSAGES)

        return call

    def astream() -> Callable[[], Awaitable[Any]]:
        acreate = make_async().chat.completions.create

        async def call() -> Any:
            return await acreate(model=CHAT_MODEL, messages=MESSAGES, stream=True)

        return call

    b.add(CHAT, "openai SDK", "vllm", OPENAI, lambda: lambda: create(model=CHAT_MODEL, messages=MESSAGES))
    b.add(CHAT, "AsyncOpenAI (sequential)", "vllm", PEER, achat, is_async=True)
    b.add(
        STREAM,
        "openai SDK",
        "vllm",
        OPENAI,
        lambda: lambda: create(model=CHAT_MODEL, messages=MESSAGES, stream=True),
    )
    b.add(STREAM, "AsyncOpenAI", "vllm", PEER, astream, is_async=True)
    b.add(
        EMBED,
        "openai SDK",
        "vllm",
        OPENAI,
        lambda: lambda: oc.embeddings.create(model=EMBED_MODEL, input=EMBED_INPUT),
    )
    b.add(ADAPTER, "openai SDK models.list (vllm)", "vllm", OPENAI, lambda: lambda: oc.models.list())
    b.add(BURST, "AsyncOpenAI", "vllm", OPENAI, achat, is_async=True)
    b.add(BURST256, "AsyncOpenAI", "vllm", OPENAI, achat, is_async=True)


def _litellm(b: _Builder) -> None:
    try:
        litellm = prepare_litellm()
    except Exception as exc:
        for section in (CHAT, STREAM, EMBED, BURST):
            for shape in ("vllm", "ollama"):
                b.skip(section, f"litellm ({shape})", shape, PEER, f"not available: {_why(exc)}")
        return
    routes = {
        "vllm": (f"hosted_vllm/{CHAT_MODEL}", f"hosted_vllm/{EMBED_MODEL}", b.v1),
        "ollama": (f"ollama_chat/{CHAT_MODEL}", f"ollama/{EMBED_MODEL}", b.url),
    }
    for shape, (model, embed_model, base) in routes.items():
        name = f"litellm.completion ({shape})"
        kw: dict[str, Any] = {"model": model, "messages": MESSAGES, "api_base": base, "api_key": API_KEY}

        async def achat(kw: dict[str, Any] = kw) -> Any:
            return await litellm.acompletion(**kw)

        async def astream(kw: dict[str, Any] = kw) -> Any:
            return await litellm.acompletion(**kw, stream=True)

        b.add(CHAT, name, shape, PEER, lambda kw=kw: lambda: litellm.completion(**kw))
        b.add(STREAM, name, shape, PEER, lambda kw=kw: lambda: litellm.completion(**kw, stream=True))
        ekw = {"model": embed_model, "input": EMBED_INPUT, "api_base": base, "api_key": API_KEY}
        b.add(
            EMBED,
            f"litellm.embedding ({shape})",
            shape,
            PEER,
            lambda ekw=ekw: lambda: litellm.embedding(**ekw),
        )
        b.add(BURST, f"litellm.acompletion ({shape})", shape, PEER, lambda achat=achat: achat, is_async=True)
        if shape == "vllm":
            b.add(
                STREAM,
                f"litellm.acompletion ({shape})",
                shape,
                PEER,
                lambda astream=astream: astream,
                is_async=True,
            )


def _ollama(b: _Builder) -> None:
    try:
        import ollama

        client, aclient = ollama.Client(host=b.url), ollama.AsyncClient(host=b.url)
    except Exception as exc:
        for section in (CHAT, STREAM, EMBED, ADAPTER, BURST):
            b.skip(section, "ollama client", "ollama", PEER, f"not available: {_why(exc)}")
        return

    async def achat() -> Any:
        return await aclient.chat(model=CHAT_MODEL, messages=MESSAGES, stream=False)

    b.add(
        CHAT,
        "ollama client",
        "ollama",
        PEER,
        lambda: lambda: client.chat(model=CHAT_MODEL, messages=MESSAGES, stream=False),
    )
    b.add(
        STREAM,
        "ollama client",
        "ollama",
        PEER,
        lambda: lambda: client.chat(model=CHAT_MODEL, messages=MESSAGES, stream=True),
    )
    b.add(
        EMBED,
        "ollama client",
        "ollama",
        PEER,
        lambda: lambda: client.embed(model=EMBED_MODEL, input=EMBED_INPUT),
    )
    b.add(ADAPTER, "ollama client list", "ollama", PEER, lambda: lambda: client.list())
    b.add(BURST, "ollama AsyncClient", "ollama", PEER, lambda: achat, is_async=True)


def _facade(b: _Builder) -> None:
    why = facade_status()
    names = {
        CHAT: ("facade", "facade async (sequential)"),
        STREAM: ("facade", "facade async"),
        EMBED: ("facade", None),
        BURST: (None, "facade async"),
        BURST256: (None, "facade async"),
    }
    if why is not None:
        for section, (sync_name, async_name) in names.items():
            for shape in ("vllm", "ollama"):
                for n, is_async in ((sync_name, False), (async_name, True)):
                    if n:
                        b.skip(section, f"{n} ({shape})", shape, FACADE, why, is_async=is_async)
        for label, shape in (
            ("models.list (vllm)", "vllm"),
            ("tokenizer.encode (vllm)", "vllm"),
            ("models.list (ollama)", "ollama"),
        ):
            b.skip(ADAPTER, f"facade {label}", shape, FACADE, why)
        return

    from openai_compatible_client import AsyncOpenAICompatibleClient, OpenAICompatibleClient

    for shape, base in (("vllm", b.v1), ("ollama", b.url)):
        try:
            fc = OpenAICompatibleClient(base_url=base, platform=shape, api_key=API_KEY)
            AsyncOpenAICompatibleClient(base_url=base, platform=shape, api_key=API_KEY)
        except Exception as exc:
            for section, (sync_name, async_name) in names.items():
                for n, is_async in ((sync_name, False), (async_name, True)):
                    if n:
                        why = f"not available: {_why(exc)}"
                        b.skip(section, f"{n} ({shape})", shape, FACADE, why, is_async=is_async)
            continue
        create = fc.chat.completions.create

        def achat(base: str = base, shape: str = shape) -> Callable[[], Awaitable[Any]]:
            acreate = AsyncOpenAICompatibleClient(
                base_url=base, platform=shape, api_key=API_KEY
            ).chat.completions.create

            async def call() -> Any:
                return await acreate(model=CHAT_MODEL, messages=MESSAGES)

            return call

        def astream(base: str = base, shape: str = shape) -> Callable[[], Awaitable[Any]]:
            acreate = AsyncOpenAICompatibleClient(
                base_url=base, platform=shape, api_key=API_KEY
            ).chat.completions.create

            async def call() -> Any:
                result = acreate(model=CHAT_MODEL, messages=MESSAGES, stream=True)
                return await result if hasattr(result, "__await__") else result

            return call

        b.add(
            CHAT,
            f"facade ({shape})",
            shape,
            FACADE,
            lambda c=create: lambda: c(model=CHAT_MODEL, messages=MESSAGES),
        )
        b.add(CHAT, f"facade async (sequential) ({shape})", shape, FACADE, achat, is_async=True)
        b.add(
            STREAM,
            f"facade ({shape})",
            shape,
            FACADE,
            lambda c=create: lambda: c(model=CHAT_MODEL, messages=MESSAGES, stream=True),
        )
        b.add(STREAM, f"facade async ({shape})", shape, FACADE, astream, is_async=True)
        b.add(
            EMBED,
            f"facade ({shape})",
            shape,
            FACADE,
            lambda fc=fc: lambda: fc.embeddings.create(model=EMBED_MODEL, input=EMBED_INPUT),
        )
        b.add(BURST, f"facade async ({shape})", shape, FACADE, achat, is_async=True)
        b.add(BURST256, f"facade async ({shape})", shape, FACADE, achat, is_async=True)
        b.add(ADAPTER, f"facade models.list ({shape})", shape, FACADE, lambda fc=fc: lambda: fc.models.list())
        if shape == "vllm":
            b.add(
                ADAPTER,
                "facade tokenizer.encode (vllm)",
                shape,
                FACADE,
                lambda fc=fc: lambda: fc.tokenizer.encode(model=CHAT_MODEL, prompt="Why is the sky blue?"),
            )


def _get(obj: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        obj = obj[step] if isinstance(step, int) or isinstance(obj, dict) else getattr(obj, step)
    return obj


def _first(obj: Any, *paths: tuple[str | int, ...]) -> Any:
    for path in paths:
        try:
            return _get(obj, path)
        except (KeyError, IndexError, AttributeError, TypeError):
            continue
    return None


STREAM_TEXT = "".join(f" tok{i}" for i in range(255))


def check(case: Case, result: Any) -> str | None:
    """Why one call's result is wrong (so its timing would mean nothing), or None when it is right."""
    if case.section in (CHAT, *BURSTS):
        text = _first(result, ("choices", 0, "message", "content"), ("message", "content"))
        return None if text == ANSWER else f"wrong chat content: {str(text)[:60]!r}"
    if case.section == STREAM:
        parts = [_first(c, ("choices", 0, "delta", "content"), ("message", "content")) or "" for c in result]
        text = "".join(parts)
        return None if text == STREAM_TEXT else f"wrong stream: {len(result)} chunks, {text[:40]!r}..."
    if case.section == EMBED:
        vectors = _first(result, ("data",), ("embeddings",)) or []
        sizes = {len(_first(v, ("embedding",)) if not isinstance(v, list) else v) for v in vectors}
        ok = len(vectors) == EMBED_INPUTS and sizes == {EMBED_DIM}
        return None if ok else f"wrong embeddings: {len(vectors)} vectors of sizes {sorted(sizes)[:3]}"
    if case.section == ADAPTER:
        expected = "1015" if "tokeniz" in case.name else CHAT_MODEL
        return None if expected in repr(result) else f"wrong result: {repr(result)[:60]}"
    return None
