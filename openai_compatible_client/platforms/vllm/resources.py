"""vLLM's server-only endpoints: tokenizer, pooling, classification, score, rerank, audio, health.

Every endpoint is a pure builder ``<endpoint>_call(...) -> Call`` plus one-line methods on a
sync resource and its ``Async`` twin. Paths are at the server root (``/tokenize``), except
the OpenAI-style ``/v1/models`` and ``/v1/audio/*``.
"""

from __future__ import annotations

import builtins
import json
import mimetypes
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import IO, Any, Literal, overload

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.base import Endpoint, default_model
from openai_compatible_client.platforms.common.calls import post_call, request_call
from openai_compatible_client.platforms.common.messages import AsyncMessages
from openai_compatible_client.platforms.common.messages import Messages as MessagesResource
from openai_compatible_client.platforms.common.responses import AsyncResponses, Responses
from openai_compatible_client.platforms.openai import resources as openai_style
from openai_compatible_client.platforms.openai.resources import AsyncPlatformResource, PlatformResource
from openai_compatible_client.platforms.validation import build_body, check_optional_model, reply_parser
from openai_compatible_client.platforms.vllm.admin import (
    AdminEndpoints,
    AsyncLoRA,
    LoRA,
    TokenizerInfoEndpoints,
)
from openai_compatible_client.platforms.vllm.types import (
    ClassificationRequest,
    ClassificationResponse,
    DetokenizeRequest,
    DetokenizeResponse,
    PoolingRequest,
    PoolingResponse,
    RerankRequest,
    RerankResponse,
    ScoreRequest,
    ScoreResponse,
    TokenizeRequest,
    TokenizeResponse,
    Transcription,
    TranscriptionChunk,
    VersionResponse,
)
from openai_compatible_client.transport.http import Call, Reply

__all__ = [
    "RESOURCES",
    "AsyncAudio",
    "AsyncClassification",
    "AsyncPooling",
    "AsyncRerank",
    "AsyncScore",
    "AsyncServer",
    "AsyncTokenizer",
    "AsyncTranscriptions",
    "AsyncTranslations",
    "Audio",
    "Classification",
    "Pooling",
    "Rerank",
    "Score",
    "Server",
    "Tokenizer",
    "Transcriptions",
    "Translations",
    "audio_call",
    "classify_call",
    "detokenize_call",
    "pooling_call",
    "read_audio",
    "rerank_call",
    "score_call",
    "tokenize_call",
    "version_call",
]

PLATFORM = "vllm"

Messages = Sequence[Mapping[str, Any]]
Headers = Mapping[str, str] | None
Body = Mapping[str, Any] | None
PoolingInput = str | Sequence[str] | Sequence[int] | Sequence[Sequence[int]]
ScoreSide = str | Mapping[str, Any] | Sequence[str] | Sequence[Mapping[str, Any]]
AudioFile = str | os.PathLike[str] | bytes | IO[bytes]
AudioKind = Literal["transcriptions", "translations"]

# ---------------------------------------------------------------------------------------------
# Builders (pure)


def _listed(messages: Messages | None) -> builtins.list[dict[str, Any]] | None:
    return None if messages is None else [dict(m) for m in messages]


def _plain(value: Any) -> Any:
    """Sequences and mappings as lists and dicts (what the request models accept)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [_plain(v) for v in value]
    return value


def tokenize_call(
    *,
    model: str | None = None,
    prompt: str | None = None,
    messages: Messages | None = None,
    add_special_tokens: bool | None = None,
    return_token_strs: bool | None = None,
    add_generation_prompt: bool | None = None,
    continue_final_message: bool | None = None,
    chat_template: str | None = None,
    chat_template_kwargs: Mapping[str, Any] | None = None,
    tools: Sequence[Mapping[str, Any]] | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /tokenize`` with a ``prompt`` (completion form) or ``messages`` (chat form).

    >>> tokenize_call(model="m", prompt="hi").json
    {'model': 'm', 'prompt': 'hi'}
    """
    return request_call(
        PLATFORM,
        "/tokenize",
        TokenizeRequest,
        extra_body=extra_body,
        extra_headers=extra_headers,
        timeout=timeout,
        model=check_optional_model(model),
        prompt=prompt,
        messages=_listed(messages),
        add_special_tokens=add_special_tokens,
        return_token_strs=return_token_strs,
        add_generation_prompt=add_generation_prompt,
        continue_final_message=continue_final_message,
        chat_template=chat_template,
        chat_template_kwargs=_plain(chat_template_kwargs),
        tools=_plain(tools),
    )


def detokenize_call(
    *,
    model: str | None = None,
    tokens: Sequence[int],
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /detokenize``.

    >>> detokenize_call(model="m", tokens=[1, 2]).json
    {'model': 'm', 'tokens': [1, 2]}
    """
    return request_call(
        PLATFORM,
        "/detokenize",
        DetokenizeRequest,
        extra_body=extra_body,
        extra_headers=extra_headers,
        timeout=timeout,
        model=check_optional_model(model),
        tokens=_plain(tokens),
    )


def pooling_call(
    *,
    model: str | None = None,
    input: PoolingInput | None = None,
    messages: Messages | None = None,
    task: str | None = None,
    encoding_format: str | None = None,
    truncate_prompt_tokens: int | None = None,
    add_special_tokens: bool | None = None,
    use_activation: bool | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /pooling``: the model's raw pooled output for ``input`` or ``messages``."""
    body = build_body(
        PoolingRequest,
        extra_body=extra_body,
        model=check_optional_model(model),
        input=_plain(input),
        messages=_listed(messages),
        task=task,
        encoding_format=encoding_format,
        truncate_prompt_tokens=truncate_prompt_tokens,
        add_special_tokens=add_special_tokens,
        use_activation=use_activation,
    )
    return post_call(PLATFORM, "/pooling", body, extra_headers, timeout)


def classify_call(
    *,
    model: str | None = None,
    input: PoolingInput | None = None,
    messages: Messages | None = None,
    truncate_prompt_tokens: int | None = None,
    add_special_tokens: bool | None = None,
    use_activation: bool | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /classify``: class probabilities (and label) per input."""
    body = build_body(
        ClassificationRequest,
        extra_body=extra_body,
        model=check_optional_model(model),
        input=_plain(input),
        messages=_listed(messages),
        truncate_prompt_tokens=truncate_prompt_tokens,
        add_special_tokens=add_special_tokens,
        use_activation=use_activation,
    )
    return post_call(PLATFORM, "/classify", body, extra_headers, timeout)


def score_call(
    *,
    model: str | None = None,
    text_1: ScoreSide | None = None,
    text_2: ScoreSide | None = None,
    queries: ScoreSide | None = None,
    documents: ScoreSide | None = None,
    instruction: str | None = None,
    truncate_prompt_tokens: int | None = None,
    use_activation: bool | None = None,
    api_version: Literal["v1"] | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /score`` (or the older ``/v1/score`` with ``api_version="v1"``).

    >>> score_call(model="m", text_1="a", text_2=["b", "c"], api_version="v1").path
    '/v1/score'
    """
    path = {None: "/score", "v1": "/v1/score"}.get(api_version)
    if path is None:
        raise E.InvalidRequestError(f"api_version must be None or 'v1' for score, got {api_version!r}")
    body = build_body(
        ScoreRequest,
        extra_body=extra_body,
        model=check_optional_model(model),
        text_1=_plain(text_1),
        text_2=_plain(text_2),
        queries=_plain(queries),
        documents=_plain(documents),
        instruction=instruction,
        truncate_prompt_tokens=truncate_prompt_tokens,
        use_activation=use_activation,
    )
    return post_call(PLATFORM, path, body, extra_headers, timeout)


def rerank_call(
    *,
    model: str | None = None,
    query: str | Mapping[str, Any],
    documents: Sequence[str] | Sequence[Mapping[str, Any]],
    top_n: int | None = None,
    return_documents: bool | None = None,
    truncate_prompt_tokens: int | None = None,
    api_version: Literal["v1", "v2"] | None = None,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /rerank`` (``/v1/rerank`` or the Cohere-style ``/v2/rerank`` by ``api_version``).

    >>> rerank_call(model="m", query="q", documents=["a"], top_n=1, api_version="v2").path
    '/v2/rerank'
    """
    path = {None: "/rerank", "v1": "/v1/rerank", "v2": "/v2/rerank"}.get(api_version)
    if path is None:
        raise E.InvalidRequestError(f"api_version must be None, 'v1' or 'v2' for rerank, got {api_version!r}")
    body = build_body(
        RerankRequest,
        extra_body=extra_body,
        model=check_optional_model(model),
        query=_plain(query),
        documents=_plain(documents),
        top_n=top_n,
        return_documents=return_documents,
        truncate_prompt_tokens=truncate_prompt_tokens,
    )
    return post_call(PLATFORM, path, body, extra_headers, timeout)


def read_audio(file: AudioFile) -> tuple[str, bytes, str]:
    """Read an upload: a path, raw bytes, or a binary file object (read from its position).

    Returns:
        ``(filename, content, content_type)`` for a multipart ``file`` field.
    """
    if isinstance(file, (bytes, bytearray, memoryview)):
        name, content = "audio.wav", bytes(file)
    elif isinstance(file, (str, os.PathLike)):
        path = os.fspath(file)
        try:
            with open(path, "rb") as handle:
                content = handle.read()
        except OSError as exc:
            raise E.InvalidRequestError(
                f"cannot read the audio file {path!r}: {exc.strerror or exc}"
            ) from exc
        name = os.path.basename(path)
    elif hasattr(file, "read"):
        content = file.read()
        if not isinstance(content, bytes):
            raise E.InvalidRequestError("the audio file object must be opened in binary mode ('rb')")
        name = os.path.basename(str(getattr(file, "name", "") or "audio.wav"))
    else:
        raise E.InvalidRequestError(
            f"file must be a path, bytes or a binary file object, got {type(file).__name__}"
        )
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return name, content, content_type


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value)
    return str(value)


def audio_call(
    kind: AudioKind,
    *,
    file: tuple[str, bytes, str],
    model: str | None = None,
    language: str | None = None,
    prompt: str | None = None,
    response_format: str | None = None,
    temperature: float | None = None,
    stream: bool = False,
    extra_body: Body = None,
    extra_headers: Headers = None,
    timeout: float | None = None,
) -> Call:
    """``POST /v1/audio/transcriptions`` or ``/translations`` as multipart form data.

    ``stream=True`` asks for server-sent events ending with ``data: [DONE]``.

    >>> call = audio_call("translations", file=("a.wav", b"RIFF", "audio/x-wav"), temperature=0.0)
    >>> call.path, dict(call.data)
    ('/v1/audio/translations', {'temperature': '0.0'})
    """
    if stream and response_format in ("verbose_json", "diarized_json"):
        raise E.InvalidRequestError(
            f"response_format={response_format!r} cannot be streamed; use json or text"
        )
    fields: dict[str, Any] = {
        "model": check_optional_model(model),
        "language": language,
        "prompt": prompt,
        "response_format": response_format,
        "temperature": temperature,
        "stream": True if stream else None,
    }
    fields.update(extra_body or {})
    data = {key: _form_value(value) for key, value in fields.items() if value is not None}
    path = f"/v1/audio/{kind}"
    return Call(
        PLATFORM,
        f"POST {path}",
        "POST",
        path,
        files={"file": file},
        data=data,
        headers=dict(extra_headers) if extra_headers else None,
        framing="sse" if stream else "json",
        terminator="sse_done" if stream else "end",
        timeout=timeout,
    )


def version_call() -> Call:
    """``GET /version``."""
    return Call(PLATFORM, "GET /version", "GET", "/version")


# ---------------------------------------------------------------------------------------------
# Parsers


def _transcription(reply: Reply) -> Transcription:
    """vLLM answers JSON even for ``response_format="text"``; a plain-text answer is accepted too."""
    content_type = str(reply.headers.get("content-type", ""))
    if "json" in content_type or reply.content.lstrip().startswith(b"{"):
        return reply_parser(Transcription)(reply)
    return Transcription(text=reply.content.decode("utf-8", errors="replace"))


def _rerank_parser(return_documents: bool | None) -> Callable[[Reply], RerankResponse]:
    parse = reply_parser(RerankResponse)
    if return_documents is not False:
        return parse

    def without_documents(reply: Reply) -> RerankResponse:
        result = parse(reply)
        for item in result.results:
            item.document = None
        return result

    return without_documents


# ---------------------------------------------------------------------------------------------
# Resources


def _chat_default(resource: Any, name: str, value: Any, messages: Messages | None) -> Any:
    """A chat's template setting: the call's own, else the client's ``vllm`` option."""
    if value is not None or messages is None:
        return value
    return getattr(resource._context.config.vllm, name)


def _chat_template_defaults(resource: Any, kwargs: dict[str, Any]) -> None:
    """For a chat, the client's ``vllm.chat_template``/``chat_template_kwargs`` unless the call gives them."""
    for name in ("chat_template", "chat_template_kwargs"):
        kwargs[name] = _chat_default(resource, name, kwargs.get(name), kwargs.get("messages"))


class _TokenizerEndpoints(TokenizerInfoEndpoints):
    encode = Endpoint(
        tokenize_call, reply_parser(TokenizeResponse), prepare=(default_model, _chat_template_defaults)
    )
    decode = Endpoint(detokenize_call, reply_parser(DetokenizeResponse), prepare=(default_model,))


class Tokenizer(_TokenizerEndpoints, PlatformResource):
    """``client.tokenizer``: text (or chat messages) to token ids and back.

    For a chat, the client's ``vllm.chat_template``/``chat_template_kwargs`` apply unless given.
    """

    resource = "tokenizer"


class AsyncTokenizer(_TokenizerEndpoints, AsyncPlatformResource):
    """``client.tokenizer``: text (or chat messages) to token ids and back."""

    resource = "tokenizer"


class _PoolingEndpoints:
    create = Endpoint(pooling_call, reply_parser(PoolingResponse), prepare=(default_model,))


class Pooling(_PoolingEndpoints, PlatformResource):
    """``client.pooling``: a pooling model's raw outputs."""

    resource = "pooling"


class AsyncPooling(_PoolingEndpoints, AsyncPlatformResource):
    """``client.pooling``: a pooling model's raw outputs."""

    resource = "pooling"


class _ClassificationEndpoints:
    create = Endpoint(classify_call, reply_parser(ClassificationResponse), prepare=(default_model,))


class Classification(_ClassificationEndpoints, PlatformResource):
    """``client.classification``: text classification."""

    resource = "classification"


class AsyncClassification(_ClassificationEndpoints, AsyncPlatformResource):
    """``client.classification``: text classification."""

    resource = "classification"


class _ScoreEndpoints:
    create = Endpoint(score_call, reply_parser(ScoreResponse), prepare=(default_model,))


class Score(_ScoreEndpoints, PlatformResource):
    """``client.score``: sentence-pair scores from an embedding or cross-encoder model."""

    resource = "score"


class AsyncScore(_ScoreEndpoints, AsyncPlatformResource):
    """``client.score``: sentence-pair scores from an embedding or cross-encoder model."""

    resource = "score"


class _RerankEndpoints:
    create = Endpoint(
        rerank_call,
        parser=lambda kwargs: _rerank_parser(kwargs.get("return_documents")),
        prepare=(default_model,),
        returns="RerankResponse",
    )


class Rerank(_RerankEndpoints, PlatformResource):
    """``client.rerank``: documents ordered by relevance to a query."""

    resource = "rerank"


class AsyncRerank(_RerankEndpoints, AsyncPlatformResource):
    """``client.rerank``: documents ordered by relevance to a query."""

    resource = "rerank"


class _AudioEndpoint(PlatformResource):
    kind: AudioKind = "transcriptions"

    @overload
    def create(
        self,
        *,
        file: AudioFile,
        model: str | None = ...,
        language: str | None = ...,
        prompt: str | None = ...,
        response_format: str | None = ...,
        temperature: float | None = ...,
        stream: Literal[False] = ...,
        extra_body: Body = ...,
        extra_headers: Headers = ...,
        timeout: float | None = ...,
    ) -> Transcription: ...

    @overload
    def create(
        self,
        *,
        file: AudioFile,
        model: str | None = ...,
        language: str | None = ...,
        prompt: str | None = ...,
        response_format: str | None = ...,
        temperature: float | None = ...,
        stream: Literal[True],
        extra_body: Body = ...,
        extra_headers: Headers = ...,
        timeout: float | None = ...,
    ) -> Iterator[TranscriptionChunk]: ...

    def create(
        self,
        *,
        file: AudioFile,
        model: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        response_format: str | None = None,
        temperature: float | None = None,
        stream: bool = False,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> Transcription | Iterator[TranscriptionChunk]:
        """Upload audio (a path, bytes or a binary file object) and get its text.

        ``stream=True`` yields :class:`TranscriptionChunk` s (``chunk.text``) as vLLM decodes.
        """
        call = audio_call(
            self.kind,
            file=read_audio(file),
            model=self._default_model(model),
            language=language,
            prompt=prompt,
            response_format=response_format,
            temperature=temperature,
            stream=stream,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        return (
            self._stream(call, self._items(TranscriptionChunk, call))
            if stream
            else self._send(call, _transcription)
        )


class _AsyncAudioEndpoint(AsyncPlatformResource):
    kind: AudioKind = "transcriptions"

    @overload
    async def create(
        self,
        *,
        file: AudioFile,
        model: str | None = ...,
        language: str | None = ...,
        prompt: str | None = ...,
        response_format: str | None = ...,
        temperature: float | None = ...,
        stream: Literal[False] = ...,
        extra_body: Body = ...,
        extra_headers: Headers = ...,
        timeout: float | None = ...,
    ) -> Transcription: ...

    @overload
    async def create(
        self,
        *,
        file: AudioFile,
        model: str | None = ...,
        language: str | None = ...,
        prompt: str | None = ...,
        response_format: str | None = ...,
        temperature: float | None = ...,
        stream: Literal[True],
        extra_body: Body = ...,
        extra_headers: Headers = ...,
        timeout: float | None = ...,
    ) -> AsyncIterator[TranscriptionChunk]: ...

    async def create(
        self,
        *,
        file: AudioFile,
        model: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        response_format: str | None = None,
        temperature: float | None = None,
        stream: bool = False,
        extra_body: Body = None,
        extra_headers: Headers = None,
        timeout: float | None = None,
    ) -> Transcription | AsyncIterator[TranscriptionChunk]:
        """Upload audio (a path, bytes or a binary file object) and get its text.

        ``stream=True`` yields :class:`TranscriptionChunk` s (``chunk.text``) as vLLM decodes.
        """
        call = audio_call(
            self.kind,
            file=read_audio(file),
            model=self._default_model(model),
            language=language,
            prompt=prompt,
            response_format=response_format,
            temperature=temperature,
            stream=stream,
            extra_body=extra_body,
            extra_headers=extra_headers,
            timeout=timeout,
        )
        if stream:
            return await self._stream(call, self._items(TranscriptionChunk, call))
        return await self._send(call, _transcription)


class Transcriptions(_AudioEndpoint):
    """``client.audio.transcriptions``: speech to text in the spoken language."""

    resource = "audio"
    kind = "transcriptions"


class AsyncTranscriptions(_AsyncAudioEndpoint):
    """``client.audio.transcriptions``: speech to text in the spoken language."""

    resource = "audio"
    kind = "transcriptions"


class Translations(_AudioEndpoint):
    """``client.audio.translations``: speech to English text."""

    resource = "audio"
    kind = "translations"


class AsyncTranslations(_AsyncAudioEndpoint):
    """``client.audio.translations``: speech to English text."""

    resource = "audio"
    kind = "translations"


class Audio(PlatformResource):
    """``client.audio``: ``transcriptions`` and ``translations`` (an ASR model such as Whisper)."""

    resource = "audio"

    @cached_property
    def transcriptions(self) -> Transcriptions:
        """Speech to text."""
        return Transcriptions(self._context)

    @cached_property
    def translations(self) -> Translations:
        """Speech to English text."""
        return Translations(self._context)


class AsyncAudio(AsyncPlatformResource):
    """``client.audio``: ``transcriptions`` and ``translations`` (an ASR model such as Whisper)."""

    resource = "audio"

    @cached_property
    def transcriptions(self) -> AsyncTranscriptions:
        """Speech to text."""
        return AsyncTranscriptions(self._context)

    @cached_property
    def translations(self) -> AsyncTranslations:
        """Speech to English text."""
        return AsyncTranslations(self._context)


class _ServerEndpoints(AdminEndpoints):
    version = Endpoint(version_call, reply_parser(VersionResponse))


class Server(_ServerEndpoints, openai_style.Server):
    """``client.health()``, ``version()``, ``ping()``, ``load()``, ``metrics()``, sleep mode."""


class AsyncServer(_ServerEndpoints, openai_style.AsyncServer):
    """``client.health()``, ``version()``, ``ping()``, ``load()``, ``metrics()``, sleep mode."""


RESOURCES: Mapping[str, tuple[type[Any], type[Any]]] = {
    "models": (openai_style.Models, openai_style.AsyncModels),
    "tokenizer": (Tokenizer, AsyncTokenizer),
    "pooling": (Pooling, AsyncPooling),
    "classification": (Classification, AsyncClassification),
    "score": (Score, AsyncScore),
    "rerank": (Rerank, AsyncRerank),
    "audio": (Audio, AsyncAudio),
    "server": (Server, AsyncServer),
    "lora": (LoRA, AsyncLoRA),
    "responses": (Responses, AsyncResponses),
    "messages": (MessagesResource, AsyncMessages),
}
