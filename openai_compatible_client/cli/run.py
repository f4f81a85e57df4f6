"""``occ run MODEL [PROMPT]``: one streamed answer, or an interactive chat like ``ollama run``.

With a prompt (words joined by spaces, ``-`` for standard input, or piped input when no prompt
is given) one answer is streamed to stdout. With no prompt on a terminal the session is
interactive: a ``>>> `` prompt, answers streamed as they arrive, the conversation kept across
turns, ``/bye`` or Ctrl-D to leave, ``/clear`` to forget the conversation, ``/?`` for help,
``\"\"\"`` for a multi-line message. Ctrl-C during an answer stops it and returns to the prompt.

Everything goes through ``client.chat.completions``, so it works with every platform.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from openai_compatible_client.cli.inputs import read_texts

__all__ = ["ChatSession", "interactive", "run"]

PROMPT = ">>> "
CONTINUATION = "... "
HELP = """Available Commands:
  /clear          Clear session context
  /bye            Exit
  /?, /help       Help for a command

Use \"\"\" to begin a multi-line message.
Ctrl-C stops an answer; Ctrl-D or /bye exits.
"""


@dataclass
class ChatSession:
    """A conversation with one model: the history and the request parameters.

    Args:
        client: An ``OpenAICompatibleClient``.
        model: The model to chat with.
        system: An optional system message, kept across ``clear()``.
        params: Extra ``chat.completions.create`` parameters (``max_tokens``, ``temperature``).
    """

    client: Any
    model: str
    system: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, str]] = field(default_factory=list)

    def clear(self) -> None:
        """Forget the conversation (the system message stays)."""
        self.history.clear()

    def reply(self, text: str, write: Callable[[str], None]) -> str:
        """Send ``text`` with the conversation so far, stream the answer through ``write``, keep both.

        If the answer does not complete (an error, or Ctrl-C), the turn is dropped from the history
        and the exception propagates; the stream is closed either way.
        """
        self.history.append({"role": "user", "content": text})
        messages = ([{"role": "system", "content": self.system}] if self.system else []) + self.history
        parts: list[str] = []
        try:
            with self.client.chat.completions.create(
                model=self.model, messages=messages, stream=True, **self.params
            ) as stream:
                for chunk in stream:
                    piece = chunk.choices[0].delta.content if chunk.choices else None
                    if piece:
                        parts.append(piece)
                        write(piece)
        except BaseException:
            self.history.pop()
            raise
        answer = "".join(parts)
        self.history.append({"role": "assistant", "content": answer})
        return answer


def _read_message(read_line: Callable[[str], str]) -> str:
    """One message: a line, or the lines between ``\"\"\"`` markers."""
    line = read_line(PROMPT)
    if not line.lstrip().startswith('"""'):
        return line.strip()
    lines = [line.lstrip()[3:]]
    while not lines[-1].rstrip().endswith('"""'):
        lines.append(read_line(CONTINUATION))
    lines[-1] = lines[-1].rstrip()[:-3]
    return "\n".join(lines).strip()


def interactive(
    session: ChatSession,
    read_line: Callable[[str], str],
    out: TextIO,
    report: Callable[[BaseException], None],
) -> int:
    """Run the ``>>>`` loop until ``/bye`` or end of input; returns the exit status (0).

    Args:
        session: The conversation.
        read_line: Reads one line after printing its prompt (``input``); raises ``EOFError`` at the end.
        out: Where answers and notes are written.
        report: Called with a client error of one turn; the session goes on.
    """

    def write(text: str) -> None:
        out.write(text)
        out.flush()

    while True:
        try:
            text = _read_message(read_line)
        except EOFError:
            write("\n")
            return 0
        except KeyboardInterrupt:
            write("\nUse Ctrl + d or /bye to exit.\n")
            continue
        if not text:
            continue
        if text.startswith("/"):
            command = text.split()[0]
            if command in ("/bye", "/exit"):
                return 0
            if command == "/clear":
                session.clear()
                write("Cleared session context\n")
            elif command in ("/?", "/help"):
                write(HELP)
            else:
                write(f"Unknown command '{command}'. Type /? for help\n")
            continue
        try:
            session.reply(text, write)
        except KeyboardInterrupt:
            write("\n\n")
            continue
        except Exception as exc:  # a failed turn is reported and the session goes on
            write("\n")
            report(exc)
            continue
        write("\n\n")


def _one_shot_prompt(words: list[str], stdin: TextIO) -> str | None:
    """The prompt of a one-shot run, or ``None`` for an interactive session."""
    if words:
        return " ".join(read_texts(words, stdin))
    if stdin.isatty():
        return None
    return read_texts(["-"], stdin)[0]


def run(args: argparse.Namespace) -> int:
    """The ``occ run`` command (see the module docstring)."""
    from openai import OpenAIError

    from openai_compatible_client.cli import client_from_args

    prompt = _one_shot_prompt(list(args.prompt), sys.stdin)
    if prompt is not None and not prompt.strip():
        raise SystemExit("occ run: the prompt is empty")
    params: dict[str, Any] = {}
    if args.max_tokens:
        params["max_tokens"] = args.max_tokens
    if args.temperature is not None:
        params["temperature"] = args.temperature
    with client_from_args(args) as client:
        session = ChatSession(client, args.model, args.system, params)
        if prompt is not None and args.json:
            messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
                {"role": "user", "content": prompt}
            ]
            answer = client.chat.completions.create(model=args.model, messages=messages, **params)
            print(answer.model_dump_json(indent=2, exclude_none=True))
            return 0
        if prompt is None:
            with contextlib.suppress(ImportError):  # readline is not on every platform
                import readline  # noqa: F401 - line editing and history for input()

            def report(exc: BaseException) -> None:
                if not isinstance(exc, OpenAIError):
                    raise exc
                print(f"occ: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)

            return interactive(session, input, sys.stdout, report)
        session.reply(prompt, lambda text: print(text, end="", flush=True))
        print()
    return 0
