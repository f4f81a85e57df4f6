"""The platform commands of ``occ``: model management, tokenize, rerank, version.

``occ models list|info|pull|push|create|copy|delete|ps``, ``occ tokenize``, ``occ rerank`` and
``occ version``, and the ``ollama`` CLI's verbs at the top level with its flags and output
formats: ``occ list``/``ls``, ``show``, ``pull``, ``push``, ``cp``, ``rm``, ``ps`` and ``stop``.
Every command takes the connection options (``--base-url``, ``--platform``, ``--api-key``,
``--timeout``) and ``--json`` (machine-readable output on stdout: one JSON document, or one
JSON line per progress event). Progress bars and notes go to stderr.

None of these builds a chat, completion or embedding request, so none imports LiteLLM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from openai_compatible_client.cli.inputs import read_text
from openai_compatible_client.cli.progress import ProgressDisplay, format_bytes
from openai_compatible_client.cli.tables import human_time, print_table, processor

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


# ----------------------------------------------------------------------------------------- handlers


def _models_list(args: argparse.Namespace) -> int:
    prefix = getattr(args, "prefix", None) or ""
    with _client(args) as client:
        listing = client.models.list()
        if args.json:
            _print_json(listing)
        elif "models" in listing:  # Ollama: /api/tags
            rows = [
                (m.name, (m.digest or "")[:12], format_bytes(m.size or 0), human_time(m.modified_at))
                for m in listing.models
                if m.name.startswith(prefix)
            ]
            print_table(("NAME", "ID", "SIZE", "MODIFIED"), rows)
        else:  # OpenAI-style: /v1/models
            cards = [
                (m.id, m.owned_by or "", str(m.max_model_len or ""))
                for m in listing.data
                if m.id.startswith(prefix)
            ]
            print_table(("NAME", "OWNED BY", "MAX MODEL LEN"), cards)
    return 0


_SHOW_FIELDS = ("license", "modelfile", "parameters", "system", "template")


def _show_section(title: str, rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if len(row) > i) for i in range(max(map(len, rows)))]
    lines = [f"  {title}"]
    for row in rows:
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(("    " + "    ".join(cells)).rstrip())
    return [*lines, ""]


def _first_lines(text: str | None, count: int = 2) -> list[list[str]]:
    return [[line.strip()] for line in (text or "").splitlines() if line.strip()][:count]


def render_show(info: Any) -> str:
    """A model's ``/api/show`` answer in ``ollama show``'s layout (Model, Capabilities, Parameters...)."""
    details = info.details
    model_info = info.model_info or {}
    arch = model_info.get("general.architecture")
    facts = [
        ("architecture", arch),
        ("parameters", details.parameter_size if details else None),
        ("context length", model_info.get(f"{arch}.context_length") if arch else None),
        ("embedding length", model_info.get(f"{arch}.embedding_length") if arch else None),
        ("quantization", details.quantization_level if details else None),
    ]
    lines = _show_section("Model", [[label, str(value)] for label, value in facts if value is not None])
    lines += _show_section("Capabilities", [[name] for name in info.capabilities or ()])
    parameters = [line.split(None, 1) for line in (info.parameters or "").splitlines() if line.strip()]
    lines += _show_section("Parameters", [[part.strip() for part in row] for row in parameters])
    lines += _show_section("System", _first_lines(info.system))
    lines += _show_section("License", _first_lines(info.license))
    return "\n".join(lines)


def _models_info(args: argparse.Namespace) -> int:
    wanted = [name for name in _SHOW_FIELDS if getattr(args, name, False)]
    if len(wanted) > 1:
        raise SystemExit("occ: only one of " + ", ".join(f"--{n}" for n in _SHOW_FIELDS) + " can be given")
    with _client(args) as client:
        info = client.models.info(args.model, verbose=args.verbose)
        if args.json:
            _print_json(info)
        elif wanted:
            print(getattr(info, wanted[0]) or "")
        else:
            print(render_show(info))
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
            print(f"copied '{args.source}' to '{args.destination}'")
    return 0


def _models_delete(args: argparse.Namespace) -> int:
    with _client(args) as client:
        for name in args.model:
            result = client.models.delete(name)
            if args.json:
                _print_json(result)
            else:
                print(f"deleted '{name}'")
    return 0


def _models_stop(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.models.unload(args.model)
        if args.json:
            _print_json(result)
    return 0


def _models_ps(args: argparse.Namespace) -> int:
    prefix = getattr(args, "prefix", None) or ""
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
                processor(m.size, m.size_vram),
                str(m.context_length or ""),
                human_time(m.expires_at, "Never"),
            )
            for m in running.models
            if m.name.startswith(prefix)
        ]
        print_table(("NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"), rows)
    return 0


def _tokenize(args: argparse.Namespace) -> int:
    with _client(args) as client:
        result = client.tokenizer.encode(
            model=args.model,
            prompt=read_text(args.text),
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
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    help: str,
    handler: Handler,
    aliases: Sequence[str] = (),
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(name, help=help, description=help, aliases=list(aliases))
    _connection(parser)
    parser.set_defaults(func=handler)
    return parser


def _model_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")


def _models_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", nargs="+")


def _prefix_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prefix", nargs="?", help="only models whose name starts with this")


def _show_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("--verbose", "-v", action="store_true", help="include metadata arrays and tensors")
    for name in _SHOW_FIELDS:
        parser.add_argument(f"--{name}", action="store_true", help=f"print only the model's {name}")


def _transfer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("--insecure", action="store_true", help="allow an http registry")


def _copy_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source")
    parser.add_argument("destination")


def _create_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model")
    parser.add_argument("--from", dest="from_", metavar="MODEL", help="base model")
    parser.add_argument(
        "--file", action="append", metavar="PATH", help="a GGUF/safetensors file to upload and use"
    )
    parser.add_argument("--system", help="system prompt")
    parser.add_argument("--template", help="prompt template")
    parser.add_argument("--parameter", action="append", metavar="KEY=VALUE", help="a Modelfile parameter")
    parser.add_argument("--quantize", help="e.g. q4_K_M")


# (name under ``occ models``, name at the top level like ``ollama``, aliases, help, handler, arguments)
_MODEL_COMMANDS: tuple[
    tuple[str, str | None, tuple[str, ...], str, Handler, Callable[[argparse.ArgumentParser], None]], ...
] = (
    ("list", "list", ("ls",), "list the models (Ollama: local; vLLM: served)", _models_list, _prefix_arg),
    ("info", "show", (), "show a model's details (Ollama)", _models_info, _show_args),
    ("pull", "pull", (), "download a model from its registry (Ollama)", _models_pull, _transfer_args),
    (
        "push",
        "push",
        (),
        "upload a model (namespace/model) to its registry (Ollama)",
        _models_push,
        _transfer_args,
    ),
    ("create", None, (), "create a model from another or a GGUF file (Ollama)", _models_create, _create_args),
    ("copy", "cp", (), "copy a model under a new name (Ollama)", _models_copy, _copy_args),
    ("delete", "rm", (), "delete models (Ollama)", _models_delete, _models_arg),
    ("ps", "ps", (), "list the models loaded in memory (Ollama)", _models_ps, _prefix_arg),
    ("stop", "stop", (), "unload a model from memory now (Ollama)", _models_stop, _model_arg),
)


def add_platform_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``models``, the ``ollama`` verbs, ``tokenize``, ``rerank`` and ``version`` to ``occ``.

    Each sets ``func`` (the handler, returning the exit status) on the parsed arguments.
    """
    models = subparsers.add_parser("models", help="list, inspect, pull, push, create, copy, delete models")
    actions = models.add_subparsers(dest="models_command", required=True, metavar="ACTION")
    for name, verb, aliases, helptext, handler, arguments in _MODEL_COMMANDS:
        arguments(_command(actions, name, helptext, handler))
        if verb is not None:
            arguments(_command(subparsers, verb, helptext, handler, aliases))

    tokenize = _command(subparsers, "tokenize", "token ids of a text (vLLM)", _tokenize)
    tokenize.add_argument("text", help="the text, or - to read standard input")
    tokenize.add_argument("--model", "-m")
    tokenize.add_argument("--no-special-tokens", action="store_true", help="do not add BOS/EOS tokens")
    tokenize.add_argument("--strings", action="store_true", help="also print each token's text")

    rerank = _command(subparsers, "rerank", "order documents by relevance to a query (vLLM)", _rerank)
    rerank.add_argument("query")
    rerank.add_argument("documents", nargs="+")
    rerank.add_argument("--model", "-m")
    rerank.add_argument("--top-n", type=int)

    _command(subparsers, "version", "the server's version", _version)
