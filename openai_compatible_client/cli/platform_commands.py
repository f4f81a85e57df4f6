"""The platform commands of ``occ``: model management, tokenize, rerank, version.

``occ models list|info|pull|push|create|copy|delete|ps``, ``occ tokenize``, ``occ rerank`` and
``occ version``. Every command takes the connection options (``--base-url``, ``--platform``,
``--api-key``, ``--timeout``) and ``--json`` (machine-readable output on stdout: one JSON
document, or one JSON line per progress event). Progress bars and notes go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openai_compatible_client.cli.progress import ProgressDisplay, format_bytes

__all__ = ["add_platform_commands"]

Handler = Callable[[argparse.Namespace], int]


def _connection(parser: argparse.ArgumentParser) -> None:
    from openai_compatible_client.platforms import platform_names

    parser.add_argument(
        "--base-url", help="server URL (default: VLLM_BASE_URL / OLLAMA_HOST / OPENAI_BASE_URL)"
    )
    parser.add_argument(
        "--platform",
        choices=[*platform_names(), "auto"],
        help="server kind (default: from env, else ask the server)",
    )
    parser.add_argument(
        "--api-key", help="bearer token (default: VLLM_API_KEY / OLLAMA_API_KEY / OPENAI_API_KEY)"
    )
    parser.add_argument("--timeout", type=float, help="seconds to wait for an answer")
    parser.add_argument("--json", action="store_true", help="print JSON on stdout (for scripts)")


def _client(args: argparse.Namespace) -> Any:
    from openai_compatible_client.cli import client_from_args

    return client_from_args(args)


def _dump(value: Any) -> Any:
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json", exclude_none=True, by_alias=True)
    return value


def _print_json(value: Any) -> None:
    print(json.dumps(_dump(value), indent=2, ensure_ascii=False))


def _table(rows: Sequence[Sequence[str]], header: Sequence[str]) -> None:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


# ----------------------------------------------------------------------------------------- handlers


def _models_list(args: argparse.Namespace) -> int:
    with _client(args) as client:
        listing = client.models.list()
        if args.json:
            _print_json(listing)
        elif "models" in listing:  # Ollama: /api/tags
            rows = [
                (m.name, (m.digest or "")[:12], format_bytes(m.size or 0), (m.modified_at or "")[:19])
                for m in listing.models
            ]
            _table(rows, ("NAME", "ID", "SIZE", "MODIFIED"))
        else:  # OpenAI-style: /v1/models
            cards = [(m.id, m.owned_by or "", str(m.max_model_len or "")) for m in listing.data]
            _table(cards, ("ID", "OWNED BY", "MAX MODEL LEN"))
    return 0


def _models_info(args: argparse.Namespace) -> int:
    with _client(args) as client:
        info = client.models.info(args.model, verbose=args.verbose)
        if args.json:
            _print_json(info)
            return 0
        details = info.details
        arch = info.model_info.get("general.architecture")
        context = info.model_info.get(f"{arch}.context_length") if arch else None
        facts = [
            ("architecture", arch),
            ("parameters", details.parameter_size if details else None),
            ("quantization", details.quantization_level if details else None),
            ("format", details.format if details else None),
            ("context length", context),
            ("capabilities", ", ".join(info.capabilities or []) or None),
        ]
        for label, value in facts:
            if value is not None:
                print(f"{label:<16}{value}")
        if info.parameters:
            print("parameters:")
            for line in info.parameters.splitlines():
                print(f"  {line}")
        if info.system:
            print(f"system:\n  {info.system}")
    return 0


def _follow(events: Iterable[Any], args: argparse.Namespace) -> int:
    """Show a progress stream: NDJSON on stdout with ``--json``, a bar on stderr otherwise."""
    last = None
    if args.json:
        for event in events:
            print(json.dumps(_dump(event), ensure_ascii=False), flush=True)
            last = event
    else:
        with ProgressDisplay(sys.stderr) as display:
            for event in events:
                display.update(event)
                last = event
    return 0 if last is not None and last.status == "success" else 1


def _models_pull(args: argparse.Namespace) -> int:
    with _client(args) as client:
        return _follow(client.models.pull(args.model, insecure=args.insecure, stream=True), args)


def _models_push(args: argparse.Namespace) -> int:
    with _client(args) as client:
        return _follow(client.models.push(args.model, insecure=args.insecure, stream=True), args)


def _parameters(pairs: Sequence[str]) -> dict[str, Any] | None:
    """``key=value`` pairs as Modelfile parameters (values parsed as JSON when they are JSON)."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"occ: --parameter expects key=value, got {pair!r}")
        try:
            value: Any = json.loads(raw)
        except ValueError:
            value = raw
        if key == "stop":
            out.setdefault("stop", []).append(str(value))
        else:
            out[key] = value
    return out or None


def _models_create(args: argparse.Namespace) -> int:
    with _client(args) as client:
        files = None
        if args.file:
            files = {}
            for path in args.file:
                if not args.json:
                    print(f"uploading {path} ...", file=sys.stderr, flush=True)
                files[os.path.basename(path)] = client.blobs.push(path)
        events = client.models.create(
            args.model,
            from_=args.from_,
            files=files,
            system=args.system,
            template=args.template,
            parameters=_parameters(args.parameter or ()),
            quantize=args.quantize,
            stream=True,
        )
        return _follow(events, args)


def _models_copy(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.models.copy(args.source, args.destination)
        if args.json:
            _print_json(result)
        else:
            print(f"copied {args.source} to {args.destination}")
    return 0


def _models_delete(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.models.delete(args.model)
        if args.json:
            _print_json(result)
        else:
            print(f"deleted {args.model}")
    return 0


def _models_ps(args: argparse.Namespace) -> int:
    with _client(args) as client:
        running = client.models.running()
        if args.json:
            _print_json(running)
            return 0
        rows = [
            (
                m.name,
                (m.digest or "")[:12],
                format_bytes(m.size or 0),
                format_bytes(m.size_vram or 0),
                str(m.context_length or ""),
                (m.expires_at or "")[:19],
            )
            for m in running.models
        ]
        _table(rows, ("NAME", "ID", "SIZE", "VRAM", "CONTEXT", "UNTIL"))
    return 0


def _tokenize(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.tokenizer.encode(
            model=args.model,
            prompt=args.text,
            add_special_tokens=False if args.no_special_tokens else None,
            return_token_strs=True if args.strings else None,
        )
        if args.json:
            _print_json(result)
            return 0
        print(" ".join(str(t) for t in result.tokens))
        if result.token_strs is not None:
            print(" ".join(json.dumps(s, ensure_ascii=False) for s in result.token_strs))
        print(f"{len(result.tokens)} tokens", file=sys.stderr)
    return 0


def _rerank(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.rerank.create(
            model=args.model, query=args.query, documents=args.documents, top_n=args.top_n
        )
        if args.json:
            _print_json(result)
            return 0
        for rank, item in enumerate(result.results, 1):
            print(f"{rank}. {item.relevance_score:.4f}  [{item.index}] {args.documents[item.index]}")
    return 0


def _version(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.version()
        if args.json:
            _print_json(result)
        else:
            print(f"{client.platform} {result.version}")
    return 0


# ----------------------------------------------------------------------------------------- parsers


def _command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], name: str, help: str, handler: Handler
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help, description=help)
    _connection(parser)
    parser.set_defaults(func=handler)
    return parser


def add_platform_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``models``, ``tokenize``, ``rerank`` and ``version`` to ``occ``'s subcommands.

    Each sets ``func`` (the handler, returning the exit status) on the parsed arguments.
    """
    models = subparsers.add_parser("models", help="list, inspect, pull, push, create, copy, delete models")
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")

    _command(actions, "list", "list the models (Ollama: local models; vLLM: served models)", _models_list)

    info = _command(actions, "info", "show a model's details (Ollama)", _models_info)
    info.add_argument("model")
    info.add_argument("--verbose", action="store_true", help="include full metadata arrays and tensors")

    for name, helptext, handler in (
        ("pull", "download a model from its registry, with a progress bar (Ollama)", _models_pull),
        ("push", "upload a model (namespace/model:tag) to its registry (Ollama)", _models_push),
    ):
        transfer = _command(actions, name, helptext, handler)
        transfer.add_argument("model")
        transfer.add_argument("--insecure", action="store_true", help="allow an http registry")

    create = _command(
        actions, "create", "create a model from another or from a GGUF file (Ollama)", _models_create
    )
    create.add_argument("model")
    create.add_argument("--from", dest="from_", metavar="MODEL", help="base model")
    create.add_argument(
        "--file", action="append", metavar="PATH", help="a GGUF/safetensors file to upload and use"
    )
    create.add_argument("--system", help="system prompt")
    create.add_argument("--template", help="prompt template")
    create.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="a Modelfile parameter")
    create.add_argument("--quantize", help="e.g. q4_K_M")

    copy = _command(actions, "copy", "copy a model under a new name (Ollama)", _models_copy)
    copy.add_argument("source")
    copy.add_argument("destination")

    delete = _command(actions, "delete", "delete a model (Ollama)", _models_delete)
    delete.add_argument("model")

    _command(actions, "ps", "list the models loaded in memory (Ollama)", _models_ps)

    tokenize = _command(subparsers, "tokenize", "token ids of a text (vLLM)", _tokenize)
    tokenize.add_argument("text")
    tokenize.add_argument("--model", "-m")
    tokenize.add_argument("--no-special-tokens", action="store_true", help="do not add BOS/EOS tokens")
    tokenize.add_argument("--strings", action="store_true", help="also print each token's text")

    rerank = _command(subparsers, "rerank", "order documents by relevance to a query (vLLM)", _rerank)
    rerank.add_argument("query")
    rerank.add_argument("documents", nargs="+")
    rerank.add_argument("--model", "-m")
    rerank.add_argument("--top-n", type=int)

    _command(subparsers, "version", "the server's version", _version)
