"""vLLM's serving-admin routes: LoRA adapters, ``/tokenizer_info``, ``/load``, ``/metrics``, sleep mode.

The reference server behaves like a vLLM server started with ``--enable-lora``,
``VLLM_ALLOW_RUNTIME_LORA_UPDATING=True``, ``--enable-tokenizer-info-endpoint``,
``--enable-server-load-tracking`` and ``VLLM_SERVER_DEV_MODE=1``. LoRA answers are plain text on
success (vLLM returns the handler's string as the body) and vLLM's error envelope otherwise.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .transport import Request, Response, json_bytes
from .vllm_common import VLLMError, parse_body, validation_failure
from .vllm_context import VLLMContext

__all__ = ["CHAT_TEMPLATE", "AdminState"]

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
_LORA_KINDS = {"lora_name": "str", "lora_path": "str", "load_inplace": "bool", "is_3d_lora_weight": "bool"}


def _invalid_input(message: str) -> VLLMError:
    return VLLMError(400, "InvalidUserInput", message, None)


def _text(message: str) -> Response:
    # vLLM wraps the handler's string in ``Response(content=...)``: no media type is set.
    return Response(200, message.encode())


def _json(value: object) -> Response:
    return Response(200, json_bytes(value), "application/json")


@dataclass
class AdminState:
    """Counters and switches of one reference vLLM server."""

    served: int = 0
    sleeping_level: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self) -> None:
        """One more request served (for ``/metrics``)."""
        with self.lock:
            self.served += 1

    # ------------------------------------------------------------------ LoRA

    def load_lora(self, ctx: VLLMContext, request: Request) -> Response:
        """``POST /v1/load_lora_adapter``: 200 plain text; 400 for a clash; 404 for a missing path."""
        body = parse_body(request, _LORA_KINDS, required=("lora_name", "lora_path"))
        name, path = body.get("lora_name"), body.get("lora_path")
        if not name or not path:
            raise _invalid_input("Both 'lora_name' and 'lora_path' must be provided.")
        if name in ctx.names:
            raise _invalid_input(f"The lora adapter '{name}' conflicts with a served base model.")
        if name in ctx.adapters and not body.get("load_inplace"):
            raise _invalid_input(
                f"The lora adapter '{name}' has already been loaded. If you want to load the adapter "
                "in place, set 'load_inplace' to True."
            )
        if not _adapter_exists(str(path)):
            raise VLLMError(
                404, "NotFoundError", f"Loading lora {name} failed: No adapter found for {path}", None
            )
        ctx.adapters[str(name)] = str(path)
        return _text(f"Success: LoRA adapter '{name}' added successfully.")

    def unload_lora(self, ctx: VLLMContext, request: Request) -> Response:
        """``POST /v1/unload_lora_adapter``: 200 plain text; 404 for a name that is not loaded."""
        body = parse_body(request, {"lora_name": "str", "lora_int_id": "int"}, required=("lora_name",))
        name = body.get("lora_name")
        if not name:
            raise _invalid_input("'lora_name' needs to be provided to unload a LoRA adapter.")
        if name not in ctx.adapters:
            raise VLLMError(404, "NotFoundError", f"The lora adapter '{name}' cannot be found.", None)
        del ctx.adapters[str(name)]
        return _text(f"Success: LoRA adapter '{name}' removed successfully.")

    # ------------------------------------------------------------------ info

    def tokenizer_info(self, ctx: VLLMContext, request: Request) -> Response:
        """``GET /tokenizer_info``: the tokenizer's init arguments plus its class and chat template."""
        return _json(
            {
                "tokenizer_class": "TokenizerPoolCachedTokenizersBackend",
                "backend": "tokenizers",
                "bos_token": "<|im_start|>",
                "eos_token": "<|im_end|>",
                "is_local": True,
                "local_files_only": True,
                "model_max_length": 8192,
                "pad_token": "<|im_end|>",
                "unk_token": "<|endoftext|>",
                "chat_template": CHAT_TEMPLATE,
                "truncation_side": "left",
                "name_or_path": ctx.first,
                "added_tokens_decoder": {"0": "<|endoftext|>", "1": "<|im_start|>", "2": "<|im_end|>"},
            }
        )

    def load(self, ctx: VLLMContext, request: Request) -> Response:
        """``GET /load``: requests in flight (the reference server answers one at a time per thread)."""
        return _json({"server_load": 0})

    def metrics(self, ctx: VLLMContext, request: Request) -> Response:
        """``GET /metrics`` in the Prometheus text format (a few of vLLM's series)."""
        model = ctx.first
        awake = 0.0 if self.sleeping_level else 1.0
        lines = [
            "# HELP vllm:num_requests_running Number of requests in model execution batches.",
            "# TYPE vllm:num_requests_running gauge",
            f'vllm:num_requests_running{{engine="0",model_name="{model}"}} 0.0',
            "# HELP vllm:num_requests_waiting Number of requests waiting to be processed.",
            "# TYPE vllm:num_requests_waiting gauge",
            f'vllm:num_requests_waiting{{engine="0",model_name="{model}"}} 0.0',
            "# HELP vllm:engine_sleep_state Engine sleep state; awake = 0 means engine is sleeping; "
            "awake = 1 means engine is awake; weights_offloaded = 1 means sleep level 1; "
            "discard_all = 1 means sleep level 2.",
            "# TYPE vllm:engine_sleep_state gauge",
            f'vllm:engine_sleep_state{{engine="0",model_name="{model}",sleep_state="awake"}} {awake}',
            f'vllm:engine_sleep_state{{engine="0",model_name="{model}",sleep_state="weights_offloaded"}} '
            f"{1.0 if self.sleeping_level == 1 else 0.0}",
            f'vllm:engine_sleep_state{{engine="0",model_name="{model}",sleep_state="discard_all"}} '
            f"{1.0 if self.sleeping_level == 2 else 0.0}",
            "# HELP vllm:request_success_total Count of successfully processed requests.",
            "# TYPE vllm:request_success_total counter",
            f'vllm:request_success_total{{engine="0",finished_reason="stop",model_name="{model}"}} '
            f"{float(self.served)}",
            f'vllm:request_success_total{{engine="0",finished_reason="length",model_name="{model}"}} 0.0',
            "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.",
            "# TYPE vllm:prompt_tokens_total counter",
            f'vllm:prompt_tokens_total{{engine="0",model_name="{model}"}} 0.0',
        ]
        return Response(200, ("\n".join(lines) + "\n").encode(), "text/plain; version=0.0.4; charset=utf-8")

    # ------------------------------------------------------------------ sleep mode (dev mode)

    def sleep(self, ctx: VLLMContext, request: Request) -> Response:
        """``POST /sleep?level=N`` (0..2, default 1)."""
        raw = request.query.get("level", "1")
        try:
            level = int(raw)
        except ValueError:
            level = -1
        if not 0 <= level <= 2:
            error: dict[str, object] = {
                "type": "less_than_equal" if level > 2 else "int_parsing",
                "loc": ("query", "level"),
                "msg": "Input should be less than or equal to 2"
                if level > 2
                else "Input should be a valid integer, unable to parse string as an integer",
                "input": raw,
            }
            if level > 2:
                error["ctx"] = {"le": 2}
            raise validation_failure([error], "query.level")
        with self.lock:
            # Level 0 pauses scheduling without releasing memory; still "sleeping".
            self.sleeping_level = level or 1
        return _json({"status": "sleeping", "level": level})

    def wake_up(self, ctx: VLLMContext, request: Request) -> Response:
        """``POST /wake_up`` (``?tags=`` wakes parts; here everything wakes)."""
        tags = [v for k, v in request.query.items() if k == "tags"] or None
        with self.lock:
            self.sleeping_level = 0
        return _json({"status": "awake", "tags": tags})

    def is_sleeping(self, ctx: VLLMContext, request: Request) -> Response:
        """``GET /is_sleeping``."""
        return _json({"is_sleeping": self.sleeping_level > 0})


def _adapter_exists(path: str) -> bool:
    """A path counts as an adapter if it names an existing directory (the reference has no weights)."""
    import os

    return os.path.isdir(path)
