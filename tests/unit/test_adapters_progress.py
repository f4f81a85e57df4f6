"""The pull/push/create progress display: a redrawn bar on a terminal, short plain lines in a log."""

from __future__ import annotations

import argparse
import io

import pytest

from openai_compatible_client.cli.platform_commands import add_platform_commands
from openai_compatible_client.cli.progress import ProgressDisplay, format_bytes, format_duration, render_bar
from openai_compatible_client.platforms.ollama.types import ProgressResponse

pytestmark = pytest.mark.unit

GB = 1_000_000_000


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _pull(display: ProgressDisplay, clock: Clock) -> None:
    """A pull of one 2 GB layer at 100 MB/s, reported 10 times a second, then the closing statuses."""
    display.update({"status": "pulling manifest"})
    for step in range(0, 201):
        clock.now = step * 0.1
        display.update(
            ProgressResponse(
                status="pulling 6a0746a1ec1a",
                digest="sha256:6a07",
                total=2 * GB,
                completed=min(2 * GB, step * 10_000_000),
            )
        )
    for status in ("verifying sha256 digest", "writing manifest", "success"):
        display.update({"status": status})
    display.close()


def test_terminal_redraws_one_line_with_rate_and_time_left() -> None:
    out, clock = io.StringIO(), Clock()
    _pull(ProgressDisplay(out, tty=True, clock=clock), clock)
    text = out.getvalue()
    assert text.startswith("pulling manifest\n")
    assert text.count("\r") > 20  # redrawn in place
    assert "\x1b[K" in text
    midway = next(frame for frame in text.split("\r") if " 50% " in frame)
    assert "1.0 GB/2.0 GB" in midway and "100.0 MB/s" in midway and "10s left" in midway
    assert "100% [########################] 2.0 GB/2.0 GB" in text
    assert text.rstrip("\n").endswith("verifying sha256 digest\nwriting manifest\nsuccess")


def test_log_output_is_short_plain_lines() -> None:
    out, clock = io.StringIO(), Clock()
    _pull(ProgressDisplay(out, tty=False, clock=clock), clock)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue() and "\x1b" not in out.getvalue()
    bars = [line for line in lines if line.startswith("pulling 6a0746a1ec1a")]
    assert 3 <= len(bars) <= 6  # one every 5 s of a 20 s transfer, plus the finish
    assert bars[-1].startswith("pulling 6a0746a1ec1a  100%")
    assert lines[0] == "pulling manifest" and lines[-1] == "success"


def test_status_repeats_are_shown_once_and_finished_layers_once() -> None:
    out, clock = io.StringIO(), Clock()
    display = ProgressDisplay(out, tty=False, clock=clock)
    for _ in range(3):
        display.update({"status": "writing manifest"})
        display.update({"status": "pulling aaa", "digest": "sha256:a", "total": 10, "completed": 10})
    assert out.getvalue().count("writing manifest") == 3  # a different status came in between
    assert out.getvalue().count("pulling aaa") == 1


def test_formatting() -> None:
    assert format_bytes(0) == "0 B" and format_bytes(2_500_000) == "2.5 MB"
    assert format_duration(0) == "0s" and format_duration(59.6) == "1m00s"
    assert render_bar("x", 0, 0, None) == "x    0% [" + " " * 24 + "] 0 B/0 B"


def test_commands_are_added_with_connection_options() -> None:
    parser = argparse.ArgumentParser(prog="occ")
    add_platform_commands(parser.add_subparsers(dest="command", required=True))
    for argv in (
        ["models", "list", "--json"],
        ["models", "info", "llama3.2", "--verbose", "--platform", "ollama"],
        ["models", "pull", "llama3.2", "--insecure", "--base-url", "http://127.0.0.1:11434"],
        ["models", "push", "me/m:1"],
        ["models", "create", "m", "--from", "llama3.2", "--parameter", "num_ctx=4096", "--file", "w.gguf"],
        ["models", "copy", "a", "b"],
        ["models", "delete", "a", "--api-key", "k"],
        ["models", "ps", "--timeout", "3"],
        ["tokenize", "hello", "--model", "m", "--strings"],
        ["rerank", "query", "doc one", "doc two", "--top-n", "1"],
        ["version", "--json"],
    ):
        args = parser.parse_args(argv)
        assert callable(args.func) and hasattr(args, "base_url") and hasattr(args, "json"), argv
