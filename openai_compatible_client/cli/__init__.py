"""The ``occ`` command: chat, complete, embed, run, the platform commands, the reference server, a tour.

``occ --version`` prints the version. A text argument given as ``-`` is read from standard input
(``echo hi | occ chat -``). The ``ollama`` CLI's verbs work at the top level (``occ list``,
``show``, ``pull``, ``push``, ``cp``, ``rm``, ``ps``, ``stop``, ``run``), and ``occ run MODEL``
on a terminal is an interactive chat like ``ollama run``. Only ``chat``, ``complete``, ``embed``,
``run`` and ``tour`` build inference requests; the other commands never import LiteLLM.

``occ tour`` starts the bundled reference server for each platform on a free loopback port and
runs a streamed chat, a completion and an embedding against it, so a newcomer sees the client
work in seconds with no model server installed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from openai_compatible_client import _litellm_loader
from openai_compatible_client._server_platforms import PLATFORMS as SERVER_PLATFORMS
from openai_compatible_client.cli.inputs import read_text, read_texts

__all__ = ["build_parser", "client_from_args", "main"]


def _connection_args(parser: argparse.ArgumentParser) -> None:
    from openai_compatible_client.platforms import platform_names

    parser.add_argument(
        "--base-url", help="server URL (default: VLLM_BASE_URL / OLLAMA_HOST / OPENAI_BASE_URL)"
    )
    parser.add_argument(
        "--platform", choices=[*platform_names(), "auto"], help="server kind (default: from env)"
    )
    parser.add_argument(
        "--api-key", help="bearer token (default: VLLM_API_KEY / OLLAMA_API_KEY / OPENAI_API_KEY)"
    )
    parser.add_argument("--timeout", type=float, help="seconds to wait for an answer")
    parser.add_argument("--json", action="store_true", help="print the raw JSON answer")


def client_from_args(args: argparse.Namespace) -> Any:
    """Build a client from ``--base-url``/``--platform``/``--api-key``, falling back to the environment."""
    from openai_compatible_client.client import OpenAICompatibleClient
    from openai_compatible_client.config import ClientConfig

    settings: dict[str, Any] = {}
    if getattr(args, "timeout", None):
        settings["timeout"] = args.timeout
    if args.base_url:
        settings["base_url"] = args.base_url
    if args.api_key:
        settings["api_key"] = args.api_key
    config = ClientConfig.from_env(platform=args.platform, **settings)
    return OpenAICompatibleClient(config=config)


def _print_json(value: Any) -> None:
    data = value.model_dump(mode="json", exclude_none=True) if hasattr(value, "model_dump") else value
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _cmd_chat(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        messages = []
        if args.system:
            messages.append({"role": "system", "content": args.system})
        messages.append({"role": "user", "content": read_text(args.message)})
        params: dict[str, Any] = {"model": args.model, "messages": messages}
        if args.max_tokens:
            params["max_tokens"] = args.max_tokens
        if args.temperature is not None:
            params["temperature"] = args.temperature
        if args.json or args.no_stream:
            answer = client.chat.completions.create(**params)
            if args.json:
                _print_json(answer)
            else:
                print(answer.choices[0].message.content)
            return 0
        with client.chat.completions.create(stream=True, **params) as stream:
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    print(chunk.choices[0].delta.content, end="", flush=True)
        print()
    return 0


def _cmd_complete(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        params: dict[str, Any] = {"model": args.model, "prompt": read_text(args.prompt)}
        if args.max_tokens:
            params["max_tokens"] = args.max_tokens
        answer = client.completions.create(**params)
        if args.json:
            _print_json(answer)
        else:
            print(answer.choices[0].text)
    return 0


def _cmd_embed(args: argparse.Namespace) -> int:
    with client_from_args(args) as client:
        answer = client.embeddings.create(model=args.model, input=read_texts(args.text))
        if args.json:
            _print_json(answer)
        else:
            for item in answer.data:
                vector = item.embedding
                shown = (
                    ", ".join(f"{v:.4f}" for v in vector[:6])
                    if isinstance(vector, list)
                    else str(vector)[:60]
                )
                print(f"[{item.index}] dim={len(vector)} [{shown}{', ...' if len(vector) > 6 else ''}]")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from openai_compatible_client.cli.run import run

    return run(args)


def _cmd_serve(args: argparse.Namespace) -> int:
    from openai_compatible_client.server.cli import main as serve_main

    argv = ["--platform", args.platform, "--host", args.host, "--port", str(args.port)]
    for model in args.model or ():
        argv += ["--model", model]
    if args.api_key:
        argv += ["--api-key", args.api_key]
    return serve_main(argv)


@contextmanager
def _reference_server(platform: str, models: Sequence[str]) -> Iterator[str]:
    """Start the reference server as a child process on a free loopback port; stop it by its pid."""
    command = [
        sys.executable,
        "-m",
        "openai_compatible_client.server",
        "--platform",
        platform,
        "--host",
        "127.0.0.1",
        "--port",
        "0",
    ]
    for model in models:
        command += ["--model", model]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        line = ""
        while time.monotonic() < deadline and process.stdout is not None:
            line = process.stdout.readline()
            if line.startswith("READY ") or not line:
                break
        if not line.startswith("READY "):
            raise RuntimeError(f"the reference server for {platform} did not start")
        yield line.split(" ", 1)[1].strip()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _cmd_tour(args: argparse.Namespace) -> int:
    from openai_compatible_client.client import OpenAICompatibleClient

    tours = [("vllm", "NousResearch/Meta-Llama-3-8B-Instruct", "/v1"), ("ollama", "llama3.2", "")]
    for platform, model, suffix in tours:
        if args.platform and platform != args.platform:
            continue
        with _reference_server(platform, [model]) as url:
            print(f"== {platform}: reference server at {url}")
            with OpenAICompatibleClient(
                base_url=url + suffix, platform=platform, api_key="token-abc123"
            ) as client:
                print("chat (streamed): ", end="", flush=True)
                stream = client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": "Hello from the tour!"}],
                    stream=True,
                    stream_options={"include_usage": True},
                )
                usage = None
                for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        print(chunk.choices[0].delta.content, end="", flush=True)
                    usage = chunk.usage or usage
                print(f"   [usage: {usage.total_tokens if usage else '?'} tokens]")
                completion = client.completions.create(
                    model=model, prompt="Why is the sky blue?", max_tokens=16
                )
                print(f"completion: {completion.choices[0].text!r} ({completion.choices[0].finish_reason})")
                weather = {
                    "type": "function",
                    "function": {
                        "name": "get_weather",
                        "parameters": {
                            "type": "object",
                            "properties": {"city": {"type": "string"}},
                            "required": ["city"],
                        },
                    },
                }
                tool_answer = client.chat.completions.create(
                    model=model,
                    messages=[{"role": "user", "content": "get_weather city=Paris"}],
                    tools=[weather],
                )
                for call in tool_answer.choices[0].message.tool_calls or ():
                    if call.type == "function":
                        print(f"tool call: {call.function.name}({call.function.arguments}) id={call.id}")
                embedding = client.embeddings.create(model=model, input=["the tour", "works"])
                dims = [len(item.embedding) for item in embedding.data]
                print(f"embeddings: {len(embedding.data)} vectors of {dims[0]} dimensions")
                names = client.models.list()
                listed = names["models"] if platform == "ollama" else names["data"]
                print(f"models: {[m['name'] if platform == 'ollama' else m['id'] for m in listed]}")
    print("tour complete")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``occ`` argument parser."""
    from openai_compatible_client import __version__

    parser = argparse.ArgumentParser(prog="occ", description="OpenAI-compatible client for vLLM and Ollama")
    parser.add_argument("--version", "-v", action="version", version=f"occ {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    chat = sub.add_parser("chat", help="chat with a model (streams to the terminal)")
    _connection_args(chat)
    chat.add_argument("message", help="the message, or - to read standard input")
    chat.add_argument("--model", "-m")
    chat.add_argument("--system")
    chat.add_argument("--max-tokens", type=int)
    chat.add_argument("--temperature", type=float)
    chat.add_argument("--no-stream", action="store_true")
    chat.set_defaults(func=_cmd_chat)

    complete = sub.add_parser("complete", help="a text completion")
    _connection_args(complete)
    complete.add_argument("prompt", help="the prompt, or - to read standard input")
    complete.add_argument("--model", "-m")
    complete.add_argument("--max-tokens", type=int)
    complete.set_defaults(func=_cmd_complete)

    embed = sub.add_parser("embed", help="embed one or more texts")
    _connection_args(embed)
    embed.add_argument("text", nargs="+", help="texts to embed; - reads one from standard input")
    embed.add_argument("--model", "-m")
    embed.set_defaults(func=_cmd_embed)

    run = sub.add_parser(
        "run",
        help="chat with a model: one answer for a prompt, else an interactive session (like ollama run)",
        description="With PROMPT (or - / piped input): stream one answer. With no prompt on a terminal: "
        "an interactive chat (>>> prompt, /bye or Ctrl-D to exit, /clear, /? for help).",
    )
    _connection_args(run)
    run.add_argument("model")
    run.add_argument("prompt", nargs="*", help="the prompt (words are joined); - reads standard input")
    run.add_argument("--system", help="a system message for the session")
    run.add_argument("--max-tokens", type=int)
    run.add_argument("--temperature", type=float)
    run.set_defaults(func=_cmd_run)

    serve = sub.add_parser("serve", help="run the bundled reference server (loopback)")
    serve.add_argument("--platform", choices=SERVER_PLATFORMS, required=True)
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--model", action="append")
    serve.add_argument("--api-key")
    serve.set_defaults(func=_cmd_serve)

    tour = sub.add_parser("tour", help="start reference servers and show every common call working")
    tour.add_argument("--platform", choices=["vllm", "ollama"])
    tour.set_defaults(func=_cmd_tour)

    try:
        from openai_compatible_client.cli.platform_commands import add_platform_commands
    except ImportError:
        pass
    else:
        add_platform_commands(sub)
    return parser


_INFERENCE_COMMANDS = frozenset({"chat", "complete", "embed", "run", "tour"})
"""The commands that build chat, completion or embedding requests (through LiteLLM)."""


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``occ``; returns the exit status (errors print one line, status 1)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    args = build_parser().parse_args(argv)
    if args.command not in _INFERENCE_COMMANDS:
        # Its clients build no chat, completion or embedding request: never load LiteLLM.
        _litellm_loader.disable_prefetch()
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        if not _is_sdk_error(exc):
            raise
        print(f"occ: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _is_sdk_error(exc: BaseException) -> bool:
    """Whether ``exc`` is an ``openai.OpenAIError`` (every error the client raises is one).

    Such an error exists only once ``openai`` is imported, so this does not import it: a command
    that succeeds without the SDK never loads it.
    """
    sdk = sys.modules.get("openai")
    error_type = getattr(sdk, "OpenAIError", None)
    return isinstance(error_type, type) and isinstance(exc, error_type)
