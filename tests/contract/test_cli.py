"""The ``occ`` command as a user meets it: ``--version``, ``-`` for standard input, the ``ollama``
verbs at the top level (with their flags and output formats) and ``occ run``, against the
reference server. Each test checks what reached the server and what the user sees.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import ollama as official
import pytest

from openai_compatible_client import __version__
from openai_compatible_client.cli import main
from openai_compatible_client.cli.run import HELP, ChatSession, interactive
from openai_compatible_client.client import OpenAICompatibleClient
from tests.contract.conftest import OLLAMA_MODEL, VLLM_MODEL, bodies
from tests.support.reference import RunningServer

pytestmark = pytest.mark.contract


def occ(server: RunningServer, *argv: str) -> int:
    """Run ``occ`` in-process against ``server``; the exit status."""
    base_url = server.base_url + ("/v1" if server.platform == "vllm" else "")
    return main([*argv, "--base-url", base_url, "--platform", server.platform])


@pytest.fixture
def stdin(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Replace standard input with text: ``stdin("piped text")``."""

    def feed(text: str) -> None:
        monkeypatch.setattr("sys.stdin", io.StringIO(text))

    yield feed


def test_version_prints_the_version_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    for flag in ("--version", "-v"):
        with pytest.raises(SystemExit) as exit_info:
            main([flag])
        assert exit_info.value.code == 0
        assert capsys.readouterr().out == f"occ {__version__}\n"


# --------------------------------------------------------------------------- ollama's verbs


def test_list_and_ls_print_ollamas_columns(ollama: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    tags = official.Client(host=ollama.base_url).list()
    assert occ(ollama, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {m.model for m in tags.models}
    llama = next(m for m in tags.models if m.model == f"{OLLAMA_MODEL}:latest")
    row = rows[f"{OLLAMA_MODEL}:latest"]
    assert re.split(" {4,}", row)[1] == (llama.digest or "")[:12]  # four spaces or more apart, as ollama's
    assert row.endswith(" ago") and "GB" in row

    assert occ(ollama, "ls", "nomic") == 0  # a name prefix, as `ollama ls PREFIX`
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines[1:]] == ["nomic-embed-text:latest"]
    assert occ(ollama, "models", "list") == 0  # the long form keeps working
    assert capsys.readouterr().out.splitlines()[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert [r["path"] for r in ollama.requests()] == ["/api/tags"] * 4


def test_list_on_vllm_shows_the_served_models(
    vllm: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert occ(vllm, "ls") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[0] == "NAME" and [line.split()[0] for line in lines[1:]] == [
        VLLM_MODEL,
        "embed-model",
    ]


def test_show_prints_ollamas_layout_and_single_fields(
    ollama: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    theirs = official.Client(host=ollama.base_url).show(OLLAMA_MODEL)
    assert occ(ollama, "show", OLLAMA_MODEL) == 0
    out = capsys.readouterr().out
    sections = [line.strip() for line in out.splitlines() if line.startswith("  ") and line[2] != " "]
    assert sections == ["Model", "Capabilities", "Parameters", "License"]
    assert "    architecture        llama" in out and f"    {theirs.license}" in out
    assert '    stop    "<|eot_id|>"' in out
    for flag in ("modelfile", "parameters", "template", "system", "license"):
        assert occ(ollama, "show", OLLAMA_MODEL, f"--{flag}") == 0
        assert capsys.readouterr().out == f"{getattr(theirs, flag, None) or ''}\n"
    assert bodies(ollama, "/api/show")[-1] == {"model": OLLAMA_MODEL}

    ollama.clear()
    with pytest.raises(SystemExit, match="only one of --license, --modelfile"):
        occ(ollama, "show", OLLAMA_MODEL, "--license", "--system")
    assert ollama.requests() == []  # refused before any request


def test_pull_cp_ps_stop_rm_push(ollama: RunningServer, capsys: pytest.CaptureFixture[str]) -> None:
    # llama2 is in the simulated registry; the tag keeps this copy apart from other tests'
    assert occ(ollama, "pull", "llama2:cli-verb", "--insecure") == 0
    assert capsys.readouterr().err.rstrip().endswith("success")
    assert bodies(ollama, "/api/pull") == [{"model": "llama2:cli-verb", "insecure": True, "stream": True}]

    assert occ(ollama, "cp", "llama2:cli-verb", "someone/cli-verb") == 0
    assert capsys.readouterr().out == "copied 'llama2:cli-verb' to 'someone/cli-verb'\n"
    assert bodies(ollama, "/api/copy") == [{"source": "llama2:cli-verb", "destination": "someone/cli-verb"}]
    assert occ(ollama, "push", "someone/cli-verb") == 0
    assert capsys.readouterr().err.rstrip().endswith("success")
    assert bodies(ollama, "/api/push") == [{"model": "someone/cli-verb", "insecure": False, "stream": True}]

    OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama").models.load("llama2:cli-verb")
    assert occ(ollama, "ps") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    (row,) = [line for line in lines[1:] if line.startswith("llama2:cli-verb ")]
    assert "% " in row and row.endswith("from now")

    assert occ(ollama, "stop", "llama2:cli-verb") == 0
    assert capsys.readouterr().out == ""
    assert bodies(ollama, "/api/generate")[-1] == {
        "model": "llama2:cli-verb",
        "keep_alive": 0,
        "stream": False,
    }
    assert occ(ollama, "ps", "llama2:cli-verb") == 0
    assert capsys.readouterr().out.splitlines()[1:] == []

    assert occ(ollama, "rm", "llama2:cli-verb", "someone/cli-verb") == 0
    assert capsys.readouterr().out == "deleted 'llama2:cli-verb'\ndeleted 'someone/cli-verb'\n"
    assert bodies(ollama, "/api/delete") == [{"model": "llama2:cli-verb"}, {"model": "someone/cli-verb"}]


def test_verbs_report_a_missing_model_in_one_line(
    ollama: RunningServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert occ(ollama, "rm", "no-such-model") == 1
    err = capsys.readouterr().err
    assert err.startswith("occ: NotFoundError:") and len(err.splitlines()) == 1


# --------------------------------------------------------------------------- "-" reads standard input


def test_dash_reads_standard_input_for_every_text_argument(
    ollama: RunningServer, vllm: RunningServer, stdin: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin("a question\nover two lines\n")
    assert occ(ollama, "chat", "-", "--model", OLLAMA_MODEL) == 0
    assert capsys.readouterr().out == "You said: a question\nover two lines\n"
    assert bodies(ollama, "/api/chat")[-1]["messages"] == [
        {"role": "user", "content": "a question\nover two lines"}
    ]

    stdin("complete me\n")
    assert occ(ollama, "complete", "-", "--model", OLLAMA_MODEL) == 0
    assert bodies(ollama, "/api/generate")[-1]["prompt"] == "complete me"

    stdin("piped")
    assert occ(ollama, "embed", "first", "-", "--model", OLLAMA_MODEL) == 0
    assert bodies(ollama, "/api/embed")[-1]["input"] == ["first", "piped"]

    stdin("piped prompt\n")
    assert occ(ollama, "run", OLLAMA_MODEL, "-") == 0
    assert bodies(ollama, "/api/chat")[-1]["messages"] == [{"role": "user", "content": "piped prompt"}]

    stdin("Hello world")
    assert occ(vllm, "tokenize", "-", "--model", VLLM_MODEL) == 0
    assert bodies(vllm, "/tokenize")[-1]["prompt"] == "Hello world"
    capsys.readouterr()

    with pytest.raises(SystemExit, match="only once"):
        occ(ollama, "embed", "-", "-", "--model", OLLAMA_MODEL)


# --------------------------------------------------------------------------- occ run


@pytest.mark.parametrize("platform", ["ollama", "vllm"])
def test_run_with_a_prompt_streams_one_answer(
    platform: str, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str], stdin: Any
) -> None:
    server: RunningServer = request.getfixturevalue(platform)
    model = OLLAMA_MODEL if platform == "ollama" else VLLM_MODEL
    path = "/api/chat" if platform == "ollama" else "/v1/chat/completions"
    assert occ(server, "run", model, "why", "is", "the", "sky", "blue?", "--system", "Be brief.") == 0
    assert capsys.readouterr().out == "You said: why is the sky blue?\n"
    body = bodies(server, path)[-1]
    assert body["stream"] is True and body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "why is the sky blue?"},
    ]

    stdin("piped, no prompt argument\n")  # standard input that is not a terminal is the prompt
    assert occ(server, "run", model) == 0
    assert capsys.readouterr().out == "You said: piped, no prompt argument\n"

    stdin("")
    with pytest.raises(SystemExit, match="empty"):
        occ(server, "run", model)


def scripted(lines: list[str]) -> Any:
    """A ``read_line`` that answers with ``lines`` in turn, then end of input (Ctrl-D)."""
    queue = list(lines)

    def read_line(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read_line


def test_interactive_session_keeps_history_and_obeys_commands(ollama: RunningServer) -> None:
    out = io.StringIO()
    errors: list[BaseException] = []
    lines = ["first", "", "second", "/?", "/nope", "/clear", '"""line one', 'line two"""', "/bye", "never"]
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama") as client:
        status = interactive(ChatSession(client, OLLAMA_MODEL), scripted(lines), out, errors.append)
    assert status == 0 and errors == []
    assert out.getvalue() == (
        "You said: first\n\nYou said: second\n\n"
        + HELP
        + "Unknown command '/nope'. Type /? for help\nCleared session context\n"
        + "You said: line one\nline two\n\n"
    )
    sent = [body["messages"] for body in bodies(ollama, "/api/chat")]
    assert sent == [
        [{"role": "user", "content": "first"}],
        [
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": "You said: first"},
            {"role": "user", "content": "second"},
        ],
        [{"role": "user", "content": "line one\nline two"}],  # after /clear
    ]


def test_interactive_session_survives_a_failed_turn(ollama: RunningServer) -> None:
    ollama.add_fault(path="/api/chat", status=500, body={"error": "model runner crashed"})
    out = io.StringIO()
    errors: list[BaseException] = []
    with OpenAICompatibleClient(base_url=ollama.base_url, platform="ollama", max_retries=0) as client:
        status = interactive(
            ChatSession(client, OLLAMA_MODEL), scripted(["lost", "kept"]), out, errors.append
        )
    assert status == 0  # end of input (Ctrl-D) leaves with 0
    assert [type(e).__name__ for e in errors] == ["InternalServerError"]
    assert "model runner crashed" in str(errors[0])
    assert out.getvalue() == "\nYou said: kept\n\n\n"
    assert bodies(ollama, "/api/chat")[-1]["messages"] == [{"role": "user", "content": "kept"}]
