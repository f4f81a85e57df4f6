"""The bundled reference server: vLLM and Ollama wire protocols with deterministic models.

Run it with ``python -m openai_compatible_client.server --platform vllm|ollama --port 0``
(it prints ``READY http://127.0.0.1:PORT``) or in-process with :class:`ReferenceServer`.
It speaks vLLM 0.33's OpenAI-compatible API or Ollama 0.33's native API: the same routes,
field names, framing (SSE ``data:`` lines ending in ``data: [DONE]`` for vLLM, NDJSON for
Ollama), status codes and error bodies. Default models: vLLM ``reference-chat``, Ollama
``llama3.2`` (listed as ``llama3.2:latest``). Every served model does chat, completions,
embeddings and the platform routes. On vLLM several ``--model`` names are aliases of one
model, so responses report the first name as ``model``, as vLLM does.

The deterministic model (tests elsewhere predict answers from these rules):

* **Tokens.** A token is a whitespace-delimited word with the whitespace before it
  (``"You said: hi"`` -> ``"You"``, ``" said:"``, ``" hi"``); streams send one token per
  chunk, so the chunks concatenate to the non-streamed text.
* **Chat reply.** ``"You said: " + text of the last user message`` (text parts joined by one
  space); with ``k`` images in that message ``f" [images: {k}]"`` is appended. If the last
  messages are tool results: ``"Tool results: " + "; ".join(their contents)``.
* **Limits.** ``max_tokens``/``max_completion_tokens`` (vLLM) and ``options.num_predict``
  (Ollama) cut the tokens -> finish ``length``; a ``stop`` string cuts the text before it ->
  finish ``stop`` (vLLM ``stop_reason`` = the string). vLLM completions default to
  ``max_tokens=16`` as vLLM does. ``n`` (vLLM) gives ``n`` identical choices.
* **Usage.** Chat prompt tokens = words of all message texts + 3 per message (the rendered
  template ``<|im_start|>``, ``role``, words, ``<|im_end|>``; ``/tokenize`` with ``messages``
  returns exactly these tokens). Completion/embedding prompt tokens = words + 1 (``<s>``),
  or the number of ids for token-id prompts. Ollama generate = words of prompt (+ system) + 3
  per rendered message. Completion tokens = tokens emitted (reasoning included; a token that
  hits a stop string counts; a tool call costs 1 + the words of its arguments JSON).
* **Tool calls.** When the request has ``tools``, the last message is from the user, and
  ``tool_choice`` is ``"required"`` or names a function, or a tool's name appears in the user
  text as a word (failing that: a 4+ letter word of a tool's name, split on ``_``/``-``/
  camelCase, e.g. "weather" for ``get_weather``): one call per such tool in order of
  appearance (a named ``tool_choice`` -> only that one; ``"required"`` with nothing
  mentioned -> the first tool; ``"none"`` -> no calls; ``parallel_tool_calls: false`` keeps
  the first). Each parameter-schema property takes, in order: a ``name=value`` word of the
  user text (value JSON-decoded when possible); the next value of a call written in the text
  (``magic_function(3)`` -> first property 3); for string properties the first quoted string
  of the text (``'...'``/``"..."`` at word boundaries); else ``enum[0]`` or the type default:
  string ``"reference"``, integer ``1``, number ``1.0``, boolean ``true``, array ``[]``,
  object ``{}``. vLLM: ``tool_calls`` with id ``chatcmpl-tool-<32 hex>``, ``arguments`` a
  JSON string, content ``null`` (``""`` when ``tool_choice`` is ``"required"`` or names a
  function, as vLLM builds that message), finish ``tool_calls`` (``stop`` for a named
  ``tool_choice``). Ollama: ``arguments`` an object, id ``call_<8 hex>``,
  ``function.index``, ``done_reason: "stop"``. Ids are a hash of the messages and tools, so
  they repeat for the same request.
* **Structured output.** ``response_format`` ``json_object`` (or Ollama ``format: "json"``)
  -> ``{"answer": "<reply>"}``, or, when the user text quotes identifiers
  (``'setup'``, ``"punchline"``), an object with those keys, each valued with the reply;
  ``json_schema`` / ``structured_outputs.json`` / an Ollama schema -> an instance built
  from the type defaults; ``structured_outputs.choice`` -> the first choice that occurs in
  the user text, else the first; ``regex``/``grammar`` -> the reply.
  The removed ``guided_*`` fields are ignored (vLLM >= 0.12).
* **Reasoning.** vLLM with ``chat_template_kwargs.enable_thinking: true`` or a
  ``reasoning_effort`` other than ``"none"`` -> ``message.reasoning`` (``delta.reasoning``
  when streaming) = ``"Thinking about: <user text>"``, before the answer. Ollama ``think``
  true or a level -> ``message.thinking`` (``thinking`` on generate); no thinking otherwise.
* **Completions.** ``"You said: " + prompt``; ``echo`` prepends the prompt; ``logprobs``
  returns well-formed logprob objects; ``suffix`` is refused with 400 (no FIM model).
* **Embeddings.** A unit-length float32 vector of ``--embedding-dim`` values from sha256 of the
  text; ``dimensions`` <= that truncates and re-normalizes (vLLM 400 above it). ``base64``
  and ``bytes`` are float32 in the request's ``endianness`` (vLLM's default ``native``: the
  host's order, little-endian on x86 and ARM). Ollama ``/api/embeddings`` returns the same unit vector.
* **Platform routes.** vLLM ``/tokenize`` ids are ``1000 + first 3 bytes of sha256(token)``
  (special tokens 0-4); ``/score`` and ``/rerank`` relevance is a squashed cosine of the two
  embeddings plus shared words (identical texts score highest); ``/classify`` labels
  ``negative``/``positive``; audio transcripts are
  ``"Reference transcript <sha256[:8]> of <size> bytes."`` (``translation`` for translations).
  Ollama's registry is simulated: every valid name can be pulled except models whose name
  starts with ``missing``; create/copy/delete/pull change ``/api/tags``; inference loads a
  model into ``/api/ps`` for ``keep_alive`` (0 unloads).

Response shapes (vLLM). Field names, JSON types and nesting match a real vLLM 0.32 server
(checked by the differential test tier). Where that server and the 0.33 reference notes differ,
the real server's shape wins:

* Plain JSON bodies keep every null field: chat ``prompt_text``, ``ec_transfer_params``,
  ``metrics`` and per choice ``token_ids``, ``routed_experts``; completions ``ec_transfer_params``,
  ``metrics`` and per choice ``routed_experts``. ``weight_versions`` (0.33 notes) is not sent.
* ``usage`` of plain JSON bodies (chat, completions, embeddings, pooling, classify, score) has
  ``prompt_tokens_details`` and ``completion_tokens_details``, both null. Stream chunks drop
  unset fields: the final usage chunk has the three counts only; chat's per-chunk
  (``continuous_usage_stats``) usage adds ``completion_tokens_details: null``.
* Chat streams: the role chunk carries top-level ``prompt_token_ids``/``prompt_text`` null and no
  ``token_ids``; every later choice has ``token_ids: null``. Completion stream choices carry
  ``prompt_token_ids`` and ``token_ids``, both null.
* Rerank ``document`` is ``{"text", "multi_modal"}`` with the unused one null; the ``bytes``
  embeddings ``metadata`` header's ``usage`` has ``prompt_tokens``/``total_tokens`` only.
* An unknown ``model`` on the pooling routes (embeddings, pooling, classify, score, rerank)
  answers 404 "The model `X` does not exist." with ``param: null``; the other routes add
  " Valid aliases: a, b." and ``param: "model"``.

Test hooks (not part of either platform): ``GET``/``DELETE /_reference/requests`` (the
request log) and ``POST``/``DELETE /_reference/faults`` (see :mod:`.faults`).
"""

from .app import ReferenceServer, build_app

__all__ = ["ReferenceServer", "build_app"]
