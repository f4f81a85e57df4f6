"""``occ run MODEL`` in a real terminal (tmux): what a user types and sees, against the reference server.

tmux runs the command in a pseudo-terminal; ``send-keys`` types, ``capture-pane`` reads the
screen. Every wait polls the screen (or the server's request log) up to a deadline.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.support.reference import RunningServer

pytestmark = [
    pytest.mark.contract,
    pytest.mark.skipif(
        shutil.which("tmux") is None,
        reason="tmux is not installed (apt-get install -y tmux): occ run's terminal test needs one",
    ),
]

MODEL = "llama3.2"
FIRST_ANSWER = 180.0  # the first answer imports LiteLLM: slow on a loaded machine
LATER = 60.0
REPO = Path(__file__).resolve().parents[2]


class Terminal:
    """A tmux session on its own server socket, running one command."""

    def __init__(self, command: str) -> None:
        self._tmux = ["tmux", "-L", f"occ-test-{os.getpid()}-{uuid.uuid4().hex[:8]}", "-f", os.devnull]
        subprocess.run(
            [*self._tmux, "new-session", "-d", "-x", "150", "-y", "50", "-c", str(REPO), command],
            check=True,
            timeout=30,
        )

    def keys(self, *keys: str) -> None:
        """Type ``keys`` (tmux key names such as ``Enter``, ``C-c``, ``C-d``; other words literally)."""
        subprocess.run([*self._tmux, "send-keys", *keys], check=True, timeout=30)

    def screen(self) -> str:
        """The visible screen, trailing spaces removed."""
        shown = subprocess.run(
            [*self._tmux, "capture-pane", "-p"], check=True, timeout=30, capture_output=True, text=True
        )
        return shown.stdout

    def wait_for(self, condition: Callable[[str], bool], what: str, timeout: float = LATER) -> str:
        """Poll the screen until ``condition`` holds; fail with the screen after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        screen = self.screen()
        while not condition(screen):
            if time.monotonic() > deadline:
                pytest.fail(f"no {what} within {timeout:.0f} s; the screen:\n{screen}")
            time.sleep(0.2)
            screen = self.screen()
        return screen

    def close(self) -> None:
        """Stop this test's tmux server (and the command in it)."""
        subprocess.run([*self._tmux, "kill-server"], timeout=30, capture_output=True)


def prompt_after(text: str) -> Callable[[str], bool]:
    """The screen shows ``text`` and, below it, ``>>>`` as the last line: ready for the next message."""

    def ready(screen: str) -> bool:
        lines = [line.rstrip() for line in screen.splitlines()]
        hits = [i for i, line in enumerate(lines) if text in line]
        if not hits:
            return False
        below = [line for line in lines[hits[-1] + 1 :] if line]
        return bool(below) and below[-1] == ">>>"

    return ready


def wait_for_chat_requests(server: RunningServer, count: int) -> None:
    deadline = time.monotonic() + LATER
    while sum(r["path"] == "/api/chat" for r in server.requests()) < count:
        if time.monotonic() > deadline:
            pytest.fail(f"the server did not receive chat request number {count}")
        time.sleep(0.2)


@pytest.fixture
def server(reference_server_factory: Callable[..., RunningServer]) -> RunningServer:
    return reference_server_factory("ollama", [MODEL])


@pytest.fixture
def terminal(server: RunningServer) -> Iterator[Terminal]:
    command = shlex.join(
        [sys.executable, "-m", "openai_compatible_client.cli", "run", MODEL, "--base-url", server.base_url]
    )
    term = Terminal(f'{command}; echo "[occ exited with status $?]"; read _')
    try:
        yield term
    finally:
        term.close()


@pytest.mark.timeout(600)
def test_occ_run_is_an_interactive_chat_in_a_terminal(server: RunningServer, terminal: Terminal) -> None:
    terminal.wait_for(lambda s: s.rstrip().endswith(">>>"), "'>>> ' prompt", FIRST_ANSWER)

    terminal.keys("hello terminal", "Enter")
    screen = terminal.wait_for(prompt_after("You said: hello terminal"), "first answer", FIRST_ANSWER)
    assert ">>> hello terminal\nYou said: hello terminal\n\n>>>" in screen

    # Ctrl-C while the answer is on its way: the answer stops, the prompt comes back.
    server.add_fault(path="/api/chat", delay=60)
    terminal.keys("a slow question", "Enter")
    wait_for_chat_requests(server, 2)
    terminal.keys("C-c")
    screen = terminal.wait_for(prompt_after(">>> a slow question"), "prompt after Ctrl-C")
    assert "You said: a slow question" not in screen and "Traceback" not in screen

    terminal.keys("after the interruption", "Enter")
    terminal.wait_for(prompt_after("You said: after the interruption"), "answer after Ctrl-C")
    chats = [r["json"]["messages"] for r in server.requests() if r["path"] == "/api/chat"]
    assert chats[-1] == [  # history kept across turns; the interrupted turn left out
        {"role": "user", "content": "hello terminal"},
        {"role": "assistant", "content": "You said: hello terminal"},
        {"role": "user", "content": "after the interruption"},
    ]

    terminal.keys("/clear", "Enter")
    terminal.wait_for(prompt_after("Cleared session context"), "/clear")
    terminal.keys("/?", "Enter")
    terminal.wait_for(prompt_after("/bye            Exit"), "help")
    terminal.keys("C-c")  # at the prompt: a hint, not an exit
    terminal.wait_for(prompt_after("Use Ctrl + d or /bye to exit."), "Ctrl-C hint")
    terminal.keys("C-d")
    screen = terminal.wait_for(lambda s: "[occ exited with status" in s, "exit on Ctrl-D")
    assert "[occ exited with status 0]" in screen and "Traceback" not in screen
