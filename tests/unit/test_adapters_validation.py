"""Local refusals (names, digests, request fields) and reply parsing of the platform adapters."""

from __future__ import annotations

import pytest

from openai_compatible_client import errors as E
from openai_compatible_client.platforms.ollama import resources as ollama
from openai_compatible_client.platforms.ollama.types import ListResponse
from openai_compatible_client.platforms.validation import check_digest, check_model, reply_parser
from openai_compatible_client.platforms.vllm import resources as vllm
from openai_compatible_client.platforms.vllm.types import TokenizeResponse
from openai_compatible_client.transport.http import Call, Reply

pytestmark = pytest.mark.unit

GOOD_DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    "name",
    [
        "llama3.2",
        "llama3.2:latest",
        "library/llama3.2:8b-q4_K_M",
        "registry.example:5000/ns/m:tag",
        "meta-llama/Llama-3.2-1B-Instruct",
        "my_lora-v2",
    ],
)
def test_valid_model_names_pass_unchanged(name: str) -> None:
    assert check_model(name) == name


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("", "empty"),
        ("../api/delete", ".."),
        ("a/../b", ".."),
        ("..", ".."),
        ("llama?x=1", "'?'"),
        ("llama#frag", "'#'"),
        ("llama%2f", "'%'"),
        ("a\\b", "backslash"),
        ("llama 3", "whitespace"),
        ("llama\t3", "whitespace"),
        ("llama\x00", "control"),
        ("/abs", "empty path segments"),
        ("a//b", "empty path segments"),
        ("a/", "empty path segments"),
    ],
)
def test_bad_model_names_are_refused_with_the_reason(name: str, reason: str) -> None:
    with pytest.raises(E.InvalidRequestError, match="invalid model") as info:
        check_model(name)
    assert reason in str(info.value)


def test_slash_can_be_forbidden() -> None:
    with pytest.raises(E.InvalidRequestError, match="'/' is not allowed"):
        check_model("a/b", allow_slash=False)


def test_non_string_model_is_refused() -> None:
    with pytest.raises(E.InvalidRequestError, match="must be a string"):
        check_model(3)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "A" * 64,  # upper case
        "sha256-" + "a" * 64,  # dash form (the server accepts it; we send one canonical form)
        "sha256:" + "a" * 63,
        "sha256:" + "a" * 65,
        "sha256:" + "g" * 64,
        "md5:" + "a" * 32,
        "sha256:../../api/delete",
        "sha256:" + "a" * 64 + "?x",
        "sha256:" + "a" * 64 + "\n",
        "",
    ],
)
def test_malformed_digests_are_refused(digest: str) -> None:
    with pytest.raises(E.InvalidRequestError, match="invalid digest"):
        check_digest(digest)


def test_digest_message_suggests_the_canonical_form() -> None:
    with pytest.raises(E.InvalidRequestError, match="write it as 'sha256:aaaa"):
        check_digest("SHA256-" + "A" * 64)


def test_good_digest_passes() -> None:
    assert check_digest(GOOD_DIGEST) == GOOD_DIGEST


@pytest.mark.parametrize(
    "build",
    [
        lambda: ollama.blob_check_call("sha256:xyz"),
        lambda: ollama.blob_push_call("sha256:../x", lambda: iter(())),
        lambda: ollama.pull_call("bad name"),
        lambda: ollama.show_call("x?verbose=1"),
        lambda: ollama.copy_call("a", "../b"),
        lambda: ollama.delete_call(""),
        lambda: ollama.create_call("m", files={"model.gguf": "sha256:short"}),
        lambda: ollama.create_call("m", files={"/etc/passwd": GOOD_DIGEST}),
        lambda: ollama.create_call("m", adapters={"../a.gguf": GOOD_DIGEST}),
        lambda: ollama.create_call("m", from_="x#y"),
        lambda: vllm.tokenize_call(model="m"),  # neither prompt nor messages
        lambda: vllm.tokenize_call(prompt="a", messages=[{"role": "user", "content": "b"}]),
        lambda: vllm.tokenize_call(prompt="a", add_generation_prompt=True),
        lambda: vllm.detokenize_call(tokens=[1, -2]),
        lambda: vllm.detokenize_call(tokens=["a"]),  # type: ignore[list-item]
        lambda: vllm.score_call(text_1="a"),
        lambda: vllm.score_call(text_1="a", text_2="b", queries="c", documents="d"),
        lambda: vllm.score_call(text_1="a", text_2="b", api_version="v2"),  # type: ignore[arg-type]
        lambda: vllm.rerank_call(query="q", documents=["a"], top_n=-1),
        lambda: vllm.rerank_call(query="q", documents=["a"], api_version="v3"),  # type: ignore[arg-type]
        lambda: vllm.pooling_call(),
        lambda: vllm.classify_call(input="a", messages=[]),
        lambda: vllm.audio_call(
            "transcriptions", file=("a.wav", b"", "audio/wav"), stream=True, response_format="verbose_json"
        ),
        lambda: vllm.tokenize_call(model="a b", prompt="x"),
    ],
)
def test_bad_calls_are_refused_before_any_request(build: object) -> None:
    with pytest.raises(E.InvalidRequestError):
        build()  # type: ignore[operator]


def _reply(content: bytes, path: str = "/api/tags") -> Reply:
    call = Call("ollama", f"GET {path}", "GET", path)
    return Reply(200, {"content-type": "application/json"}, content, call, "http://127.0.0.1:1" + path)


def test_a_reply_missing_a_required_field_is_an_api_response_validation_error() -> None:
    with pytest.raises(E.APIResponseValidationError) as info:
        reply_parser(ListResponse)(_reply(b'{"model_list": []}'))
    message = str(info.value)
    assert "ollama GET /api/tags" in message and "models" in message
    assert info.value.platform == "ollama"


def test_a_reply_with_wrong_types_is_an_api_response_validation_error() -> None:
    with pytest.raises(E.APIResponseValidationError, match="tokens"):
        reply_parser(TokenizeResponse)(_reply(b'{"tokens": ["x"], "count": 1}', "/tokenize"))


def test_a_reply_that_is_not_json_is_an_api_response_validation_error() -> None:
    with pytest.raises(E.APIResponseValidationError, match="not JSON"):
        reply_parser(ListResponse)(_reply(b"<html>proxy error</html>"))


def test_an_empty_reply_may_stand_for_a_default() -> None:
    parse = reply_parser(ListResponse, empty={"models": []})
    assert parse(_reply(b"")).models == []
