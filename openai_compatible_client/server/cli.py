"""Command line: ``python -m openai_compatible_client.server --platform vllm|ollama|llamacpp ...``."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from types import FrameType

from .app import PLATFORMS, ReferenceServer


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used by ``occ serve``)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Run the bundled reference server (vLLM, Ollama or llama.cpp wire protocol).",
    )
    parser.add_argument("--platform", required=True, choices=PLATFORMS, help="wire protocol to speak")
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (loopback unless --allow-remote)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--model", action="append", dest="models", metavar="NAME", help="model name to serve (repeatable)"
    )
    parser.add_argument("--api-key", default=None, help="require this bearer key (vLLM: /v1, /v2 paths)")
    parser.add_argument("--embedding-dim", type=int, default=16, help="length of embedding vectors")
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, serve until SIGTERM/SIGINT, and return the exit status."""
    args = build_parser().parse_args(argv)
    if not args.allow_remote and not _is_loopback(args.host):
        print(
            f"error: refusing to bind non-loopback address {args.host!r}; pass --allow-remote to do so",
            file=sys.stderr,
        )
        return 2
    if args.embedding_dim < 1:
        print("error: --embedding-dim must be at least 1", file=sys.stderr)
        return 2
    try:
        server = ReferenceServer(
            args.platform,
            host=args.host,
            port=args.port,
            models=args.models,
            api_key=args.api_key,
            embedding_dim=args.embedding_dim,
        )
        server.bind()
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    stopping = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            threading.Thread(target=server.stop, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"READY {server.base_url}", flush=True)
    server.serve_forever()
    return 0
