"""LangChain wrappers over the facade: :class:`ChatOpenAICompatible` and :class:`OpenAICompatibleEmbeddings`.

Both talk to vLLM or Ollama through :class:`~openai_compatible_client.OpenAICompatibleClient`
(and its async twin), so they share its request validation, image checks, parameter policy,
retries and errors. The chat model builds every request in one place (:meth:`_payload`) and
turns answers into LangChain messages with two module functions, one for whole answers and
one for stream chunks; the sync and async methods are thin executors over them.

Example:
    >>> from openai_compatible_client.integrations.langchain import ChatOpenAICompatible
    >>> llm = ChatOpenAICompatible(model="llama3.2", base_url="http://localhost:11434", platform="ollama")
    >>> llm._llm_type
    'openai-compatible-ollama'
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from operator import itemgetter
from typing import Any, Literal, cast

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import (
    BaseChatModel,
    agenerate_from_stream,
    generate_from_stream,
)
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    InvalidToolCall,
    ToolCall,
    ToolCallChunk,
    UsageMetadata,
    convert_to_openai_messages,
)
from langchain_core.messages.tool import invalid_tool_call
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass
from openai.types import CreateEmbeddingResponse
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, SecretStr, model_validator

from openai_compatible_client.client import AsyncOpenAICompatibleClient, OpenAICompatibleClient
from openai_compatible_client.config import ClientConfig, UnsupportedParamsPolicy

__all__ = ["ChatOpenAICompatible", "OpenAICompatibleEmbeddings"]

StructuredMethod = Literal["json_schema", "function_calling", "json_mode"]
_OLLAMA_TIMINGS = ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration")


class _Connection(BaseModel):
    """Connection fields shared by the chat model and the embeddings (and their clients)."""

    model_config = ConfigDict(populate_by_name=True, arbitrary_types_allowed=True, protected_namespaces=())

    base_url: str | None = None
    """The server URL, with or without ``/v1`` (default: the environment, see ``ClientConfig.from_env``)."""
    api_key: SecretStr | None = Field(default=None, exclude=True)
    """Sent as ``Authorization: Bearer``; never serialised or printed."""
    platform: str = "vllm"
    """``"vllm"``, ``"ollama"`` or ``"auto"`` (asks the server once, at construction)."""
    timeout: float | None = None
    """Seconds to wait for an answer, per attempt (default: the client's 600)."""
    max_retries: int | None = None
    """Retries after connection errors, 429 and 5xx (default: the client's 2)."""
    default_headers: dict[str, str] | None = None
    """Headers sent with every request."""
    unsupported_params: UnsupportedParamsPolicy = "warn"
    """What to do with a parameter the platform cannot honour: ``"warn"``, ``"error"`` or ``"drop"``."""

    _client: OpenAICompatibleClient = PrivateAttr()
    _async: AsyncOpenAICompatibleClient | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, values: Any) -> Any:
        """Fill ``base_url`` and ``api_key`` from the conventional variables when not given."""
        if isinstance(values, dict) and not values.get("base_url"):
            platform = values.get("platform")
            env = ClientConfig.from_env(platform=None if platform in (None, "auto") else platform)
            values = {**values, "base_url": env.base_url}
            if platform in (None, "auto"):
                values["platform"] = env.platform
            if values.get("api_key") is None and env.api_key is not None:
                values["api_key"] = env.api_key
        return values

    @model_validator(mode="after")
    def _build_clients(self) -> _Connection:
        self._client = OpenAICompatibleClient(config=self.client_config())
        if self.platform == "auto":
            object.__setattr__(self, "platform", self._client.platform)
        return self

    def client_config(self) -> ClientConfig:
        """The :class:`ClientConfig` the wrapped clients are built from."""
        settings: dict[str, Any] = {
            "base_url": self.base_url,
            "platform": self.platform,
            "unsupported_params": self.unsupported_params,
        }
        if self.api_key is not None:
            settings["api_key"] = self.api_key
        if self.timeout is not None:
            settings["timeout"] = self.timeout
        if self.max_retries is not None:
            settings["max_retries"] = self.max_retries
        if self.default_headers:
            settings["default_headers"] = dict(self.default_headers)
        return ClientConfig(**settings)

    @property
    def client(self) -> OpenAICompatibleClient:
        """The wrapped sync facade client (for platform-only endpoints such as ``client.models``)."""
        return self._client

    @property
    def _async_client(self) -> AsyncOpenAICompatibleClient:
        """The wrapped async facade client, made on first async use (its HTTP pool costs ~50 ms to set up)."""
        if self._async is None:
            # The sync client resolved platform="auto" already; the async one reuses its settings.
            self._async = AsyncOpenAICompatibleClient(config=self._client.config)
        return self._async

    @property
    def async_client(self) -> AsyncOpenAICompatibleClient:
        """The wrapped async facade client."""
        return self._async_client


# ---------------------------------------------------------------- answers -> LangChain messages


def _usage(usage: Any) -> UsageMetadata | None:
    """OpenAI ``usage`` -> LangChain ``usage_metadata`` (with cache and reasoning details when given)."""
    if usage is None:
        return None
    # Built as a plain dict: langchain-core's TypedDict declares the detail keys differently per version.
    result: dict[str, Any] = {
        "input_tokens": usage.prompt_tokens or 0,
        "output_tokens": usage.completion_tokens or 0,
        "total_tokens": usage.total_tokens or (usage.prompt_tokens or 0) + (usage.completion_tokens or 0),
    }
    cached = getattr(usage.prompt_tokens_details, "cached_tokens", None)
    if isinstance(cached, int):
        result["input_token_details"] = {"cache_read": cached}
    reasoning = getattr(usage.completion_tokens_details, "reasoning_tokens", None)
    if isinstance(reasoning, int):
        result["output_token_details"] = {"reasoning": reasoning}
    return cast(UsageMetadata, result)


def _metadata(answer: ChatCompletion | ChatCompletionChunk, platform: str) -> dict[str, Any]:
    """``response_metadata`` shared by whole answers and the last stream chunk."""
    meta: dict[str, Any] = {"model_name": answer.model, "platform": platform}
    if answer.system_fingerprint:
        meta["system_fingerprint"] = answer.system_fingerprint
    extra = answer.model_extra or {}
    for key in _OLLAMA_TIMINGS:
        if key in extra:
            meta[key] = extra[key]
    return meta


def _reasoning(message: Any) -> str | None:
    extra = getattr(message, "model_extra", None) or {}
    text = extra.get("reasoning_content")
    if text is None:
        text = extra.get("reasoning")
    return text if isinstance(text, str) and text else None


def _parse_tool_calls(raw_calls: Sequence[Any]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        function = raw.function
        text = function.arguments or "{}"
        try:
            args = json.loads(text)
            if not isinstance(args, dict):
                raise ValueError("arguments are not a JSON object")
        except ValueError as exc:
            invalid.append(invalid_tool_call(name=function.name, args=text, id=raw.id, error=str(exc)))
            continue
        calls.append(ToolCall(type="tool_call", name=function.name, args=args, id=raw.id))
    return calls, invalid


def to_chat_result(completion: ChatCompletion, platform: str) -> ChatResult:
    """A whole chat answer as a LangChain ``ChatResult`` (one generation per choice)."""
    generations = []
    usage = _usage(completion.usage)
    for choice in completion.choices:
        message = choice.message
        tool_calls, invalid = _parse_tool_calls(message.tool_calls or [])
        additional: dict[str, Any] = {}
        reasoning = _reasoning(message)
        if reasoning is not None:
            additional["reasoning_content"] = reasoning
        meta = {**_metadata(completion, platform), "finish_reason": choice.finish_reason}
        if choice.logprobs is not None:
            meta["logprobs"] = choice.logprobs.model_dump()
        ai = AIMessage(
            content=message.content or "",
            additional_kwargs=additional,
            tool_calls=tool_calls,
            invalid_tool_calls=invalid,
            usage_metadata=usage,
            response_metadata=meta,
            id=completion.id,
        )
        info = {"finish_reason": choice.finish_reason}
        generations.append(ChatGeneration(message=ai, generation_info=info))
    return ChatResult(
        generations=generations, llm_output={"model_name": completion.model, "platform": platform}
    )


def to_generation_chunk(chunk: ChatCompletionChunk, platform: str) -> ChatGenerationChunk | None:
    """One stream chunk as a LangChain ``ChatGenerationChunk`` (``None`` for an empty keep-alive chunk).

    The model name, finish reason, platform and Ollama timings ride on the chunk that carries the
    finish reason; usage rides on the usage chunk; so adding all chunks up never repeats them.
    """
    usage = _usage(chunk.usage)
    if not chunk.choices:
        if usage is None:
            return None
        return ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata=usage, id=chunk.id))
    choice = chunk.choices[0]
    delta = choice.delta
    additional: dict[str, Any] = {}
    reasoning = _reasoning(delta)
    if reasoning is not None:
        additional["reasoning_content"] = reasoning
    tool_chunks = [
        ToolCallChunk(
            type="tool_call_chunk",
            name=call.function.name if call.function else None,
            args=call.function.arguments if call.function else None,
            id=call.id,
            index=call.index,
        )
        for call in delta.tool_calls or []
    ]
    meta: dict[str, Any] = {}
    info: dict[str, Any] | None = None
    if choice.finish_reason is not None:
        meta = {**_metadata(chunk, platform), "finish_reason": choice.finish_reason}
        info = {"finish_reason": choice.finish_reason}
    message = AIMessageChunk(
        content=delta.content or "",
        additional_kwargs=additional,
        tool_call_chunks=tool_chunks,
        usage_metadata=usage,
        response_metadata=meta,
        id=chunk.id,
    )
    return ChatGenerationChunk(message=message, generation_info=info)


# ---------------------------------------------------------------- LangChain messages -> requests


def to_openai_messages(messages: Sequence[BaseMessage]) -> list[dict[str, Any]]:
    """LangChain messages (any content-block format LangChain knows) -> OpenAI message dicts.

    Reasoning kept in ``additional_kwargs["reasoning_content"]`` goes back with the assistant turn.
    """
    converted = convert_to_openai_messages(list(messages))
    for source, target in zip(messages, converted, strict=True):
        if isinstance(source, AIMessage):
            reasoning = source.additional_kwargs.get("reasoning_content")
            if isinstance(reasoning, str) and reasoning:
                target["reasoning_content"] = reasoning
            if target.get("tool_calls") and not target.get("content"):
                target["content"] = None
    return converted


def _tool_choice(choice: Any, tools: list[dict[str, Any]]) -> Any:
    """LangChain's ``tool_choice`` spellings -> OpenAI's.

    >>> _tool_choice("any", [])
    'required'
    >>> _tool_choice("get_weather", [])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    """
    if choice is None or choice in ("auto", "none", "required"):
        return choice
    if choice == "any" or choice is True:
        if choice is True and len(tools) == 1:
            return {"type": "function", "function": {"name": tools[0]["function"]["name"]}}
        return "required"
    if choice is False:
        return "none"
    if isinstance(choice, str):
        return {"type": "function", "function": {"name": choice}}
    return choice


class ChatOpenAICompatible(_Connection, BaseChatModel):
    """A LangChain chat model for vLLM and Ollama servers.

    Example:
        .. code-block:: python

            llm = ChatOpenAICompatible(model="Qwen/Qwen3-8B", base_url="http://gpu:8000/v1", platform="vllm")
            llm.invoke("Hello")
            llm.bind_tools([get_weather]).invoke("What is the weather in Paris?")
            llm.with_structured_output(Person).invoke("Invent a person")

    Reasoning text (vLLM ``reasoning``/``reasoning_content``, Ollama ``thinking``) is returned in
    ``additional_kwargs["reasoning_content"]``; Ollama's timing counters are in ``response_metadata``.
    """

    model: str = Field(alias="model_name")
    """The model name on the server (a call's ``model=`` overrides it)."""
    temperature: float | None = None
    max_tokens: int | None = Field(default=None, alias="max_completion_tokens")
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    top_p: float | None = None
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body (vLLM extras such as ``top_k`` or ``structured_outputs``)."""
    options: dict[str, Any] | None = None
    """Ollama model options (``num_ctx``, ``top_k``...)."""
    keep_alive: str | float | None = None
    """Ollama: how long the model stays loaded after the call."""
    think: bool | str | None = None
    """Ollama: turn thinking on or off (or a level such as ``"low"``)."""
    streaming: bool = False
    """Whether ``invoke`` streams internally (the answer is the same)."""
    stream_usage: bool = True
    """Ask for a usage chunk at the end of streams (``stream_options={"include_usage": True}``)."""

    @property
    def _llm_type(self) -> str:
        return f"openai-compatible-{self.platform}"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "platform": self.platform,
            "base_url": self.base_url,
            **self._sampling(),
        }

    @classmethod
    def is_lc_serializable(cls) -> bool:
        """The model can be saved with ``langchain_core.load.dumpd`` (the API key is left out)."""
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        """The module path ``langchain_core.load`` imports the class from."""
        return ["openai_compatible_client", "integrations", "langchain"]

    @property
    def lc_secrets(self) -> dict[str, str]:
        """Where ``langchain_core.load`` finds the API key when loading."""
        return {"api_key": "OPENAI_COMPATIBLE_API_KEY"}

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=self.platform,
            ls_model_name=kwargs.get("model") or self.model,
            ls_model_type="chat",
        )
        temperature = kwargs.get("temperature", self.temperature)
        if temperature is not None:
            params["ls_temperature"] = temperature
        max_tokens = kwargs.get("max_tokens", self.max_tokens)
        if max_tokens is not None:
            params["ls_max_tokens"] = max_tokens
        stops = stop or kwargs.get("stop") or self.stop
        if stops:
            params["ls_stop"] = list(stops)
        return params

    # ------------------------------------------------------------ the one request builder

    def _sampling(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
            "top_p": self.top_p,
            "extra_body": self.extra_body,
        }
        if self.platform == "ollama":
            fields.update(options=self.options, keep_alive=self.keep_alive, think=self.think)
        return {k: v for k, v in fields.items() if v is not None}

    def _payload(
        self, messages: Sequence[BaseMessage], stop: list[str] | None, stream: bool, **kwargs: Any
    ) -> dict[str, Any]:
        """The keyword arguments of ``chat.completions.create`` for one call."""
        payload: dict[str, Any] = {
            "model": self.model,
            "messages": to_openai_messages(messages),
            **self._sampling(),
        }
        stops = stop if stop is not None else self.stop
        if stops:
            payload["stop"] = list(stops)
        payload.update({k: v for k, v in kwargs.items() if v is not None})
        if self.platform == "ollama" and payload.get("tool_choice") == "auto":
            del payload["tool_choice"]  # Ollama's only behaviour; saying it costs a warning
        if stream:
            payload["stream"] = True
            if self.stream_usage:
                payload.setdefault("stream_options", {"include_usage": True})
        return payload

    # ------------------------------------------------------------ executors

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return generate_from_stream(self._stream(messages, stop, run_manager, **kwargs))
        completion = self._client.chat.completions.create(**self._payload(messages, stop, False, **kwargs))
        return to_chat_result(completion, self.platform)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        if self.streaming:
            return await agenerate_from_stream(self._astream(messages, stop, run_manager, **kwargs))
        create = self._async_client.chat.completions.create
        completion = await create(**self._payload(messages, stop, False, **kwargs))
        return to_chat_result(completion, self.platform)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        with self._client.chat.completions.create(**self._payload(messages, stop, True, **kwargs)) as stream:
            for chunk in stream:
                generation = to_generation_chunk(chunk, self.platform)
                if generation is None:
                    continue
                if run_manager is not None:
                    run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        create = self._async_client.chat.completions.create
        async with await create(**self._payload(messages, stop, True, **kwargs)) as stream:
            async for chunk in stream:
                generation = to_generation_chunk(chunk, self.platform)
                if generation is None:
                    continue
                if run_manager is not None:
                    await run_manager.on_llm_new_token(generation.text, chunk=generation)
                yield generation

    # ------------------------------------------------------------ tools and structured output

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: dict[str, Any] | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, pydantic classes, functions, OpenAI tool dicts) to the model.

        Args:
            tools: The tools the model may call.
            tool_choice: ``"auto"``, ``"none"``, ``"required"``/``"any"``/``True`` (call one), or a
                tool's name to force it. Ollama has no ``tool_choice``: forcing there is refused per
                the client's ``unsupported_params`` policy (a warning by default).
            **kwargs: Other ``chat.completions.create`` arguments (e.g. ``parallel_tool_calls``).
        """
        formatted = [convert_to_openai_tool(tool) for tool in tools]
        choice = _tool_choice(tool_choice, formatted)
        if choice is not None:
            kwargs["tool_choice"] = choice
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "json_schema",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
        """Answers parsed into ``schema`` (a pydantic class, a TypedDict or a JSON schema).

        Args:
            schema: The output schema (``None`` only with ``method="json_mode"``: any JSON object).
            method: ``"json_schema"`` uses the platform's native structured output (vLLM
                ``response_format`` json_schema, Ollama ``format``); ``"function_calling"`` a forced
                tool call; ``"json_mode"`` JSON mode (describe the keys in the prompt).
            include_raw: Return ``{"raw", "parsed", "parsing_error"}`` instead of raising on bad output.
            strict: Passed as the schema's ``strict`` flag (vLLM constrains decoding either way).
            **kwargs: Other ``chat.completions.create`` arguments.
        """
        if kwargs.pop("tools", None) is not None:
            raise ValueError("with_structured_output() does not take tools=; use bind_tools()")
        pydantic_class = isinstance(schema, type) and is_basemodel_subclass(schema)
        trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
        llm: Runnable[LanguageModelInput, BaseMessage]
        parser: Runnable[Any, Any]
        if method == "function_calling":
            if schema is None:
                raise ValueError("method='function_calling' needs a schema")
            tool = convert_to_openai_tool(schema, strict=strict)
            name = tool["function"]["name"]
            choice = None if self.platform == "ollama" else name
            llm = self.bind_tools([schema], tool_choice=choice, ls_structured_output_format=trace, **kwargs)
            if pydantic_class:
                parser = PydanticToolsParser(tools=[cast(type, schema)], first_tool_only=True)
            else:
                parser = JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        elif method == "json_schema":
            if schema is None:
                raise ValueError("method='json_schema' needs a schema")
            json_schema = convert_to_json_schema(schema)
            spec: dict[str, Any] = {"name": json_schema.get("title", "response"), "schema": json_schema}
            if strict is not None:
                spec["strict"] = strict
            response_format = {"type": "json_schema", "json_schema": spec}
            llm = self.bind(response_format=response_format, ls_structured_output_format=trace, **kwargs)
            parser = _json_parser(schema, pydantic_class)
        elif method == "json_mode":
            llm = self.bind(
                response_format={"type": "json_object"},
                ls_structured_output_format={**trace, "schema": schema} if schema is not None else None,
                **kwargs,
            )
            parser = _json_parser(schema, pydantic_class)
        else:
            raise ValueError(
                f"method must be 'json_schema', 'function_calling' or 'json_mode', got {method!r}"
            )
        if not include_raw:
            return llm | parser
        parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
        fallback = RunnablePassthrough.assign(parsed=lambda _: None)
        return RunnableMap(raw=llm) | parsed.with_fallbacks([fallback], exception_key="parsing_error")


def _json_parser(schema: Any, pydantic_class: bool) -> Runnable[Any, Any]:
    if pydantic_class:
        return PydanticOutputParser(pydantic_object=schema)
    return JsonOutputParser()


# ---------------------------------------------------------------- embeddings


class OpenAICompatibleEmbeddings(_Connection, Embeddings):
    """LangChain embeddings from a vLLM or Ollama server.

    Example:
        .. code-block:: python

            embedder = OpenAICompatibleEmbeddings(model="nomic-embed-text", base_url="http://localhost:11434",
                                                  platform="ollama", chunk_size=64)
            vectors = embedder.embed_documents(["first", "second"])
    """

    model: str = Field(alias="model_name")
    """The embedding model on the server."""
    chunk_size: int = Field(default=256, gt=0)
    """Texts sent per request; longer lists are split into batches."""
    dimensions: int | None = Field(default=None, gt=0)
    """Shorter vectors, for models that support it (vLLM Matryoshka models; Ollama ``dimensions``)."""
    extra_body: dict[str, Any] | None = None
    """Fields merged into the request body."""
    options: dict[str, Any] | None = None
    """Ollama model options."""
    keep_alive: str | float | None = None
    """Ollama: how long the model stays loaded."""

    def _params(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "model": self.model,
            "dimensions": self.dimensions,
            "extra_body": self.extra_body,
        }
        if self.platform == "ollama":
            fields.update(options=self.options, keep_alive=self.keep_alive)
        return {k: v for k, v in fields.items() if v is not None}

    def _batches(self, texts: Sequence[str]) -> list[list[str]]:
        return [list(texts[i : i + self.chunk_size]) for i in range(0, len(texts), self.chunk_size)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order (sent in batches of ``chunk_size``)."""
        params = self._params()
        vectors: list[list[float]] = []
        for batch in self._batches(texts):
            vectors.extend(_vectors(self._client.embeddings.create(input=batch, **params)))
        return vectors

    async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
        """One vector per text, in order (batches are sent one after the other)."""
        params = self._params()
        vectors: list[list[float]] = []
        for batch in self._batches(texts):
            vectors.extend(_vectors(await self._async_client.embeddings.create(input=batch, **params)))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return self.embed_documents([text])[0]

    async def aembed_query(self, text: str) -> list[float]:
        """The vector of one text."""
        return (await self.aembed_documents([text]))[0]


def _vectors(response: CreateEmbeddingResponse) -> list[list[float]]:
    return [list(item.embedding) for item in sorted(response.data, key=lambda item: item.index)]
