"""The registry entries: each platform's body rules stay on that platform."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import openai_compatible_client.platforms as platforms_package
from openai_compatible_client.config import ClientConfig, VLLMOptions
from openai_compatible_client.platforms import get_platform, platform_names, platforms
from openai_compatible_client.routing import chat_request, embedding_request

GUIDED = {"guided_choice": ["yes", "no"], "guided_decoding_backend": "xgrammar"}


def _chat_body(platform: str) -> dict[str, object]:
    config = ClientConfig(
        base_url="http://127.0.0.1:9", platform=platform, vllm=VLLMOptions(extra_body={"a": 1})
    )
    prepared = chat_request(
        config,
        get_platform(platform),
        model="m",
        messages=[{"role": "user", "content": "hi"}],
        stream=False,
        params={"extra_body": GUIDED},
    )
    return dict(prepared.call.json or {})


def test_vllm_rewrites_guided_parameters_and_merges_its_options() -> None:
    body = _chat_body("vllm")
    assert body["structured_outputs"] == {"choice": ["yes", "no"]} and body["a"] == 1
    assert "guided_choice" not in body and "guided_decoding_backend" not in body


def test_generic_platform_sends_extra_body_as_given() -> None:
    body = _chat_body("openai")
    assert body == {"model": "m", "messages": [{"role": "user", "content": "hi"}], **GUIDED}


def test_generic_platform_embeds_with_openais_body() -> None:
    config = ClientConfig(base_url="http://127.0.0.1:9", platform="openai")
    prepared = embedding_request(
        config, get_platform("openai"), model="m", input=["a", "b"], params={"dimensions": 8}
    )
    assert prepared.call.path == "/v1/embeddings"
    assert prepared.call.json == {"model": "m", "input": ["a", "b"], "dimensions": 8}


def test_every_entry_names_its_providers_and_resources() -> None:
    assert set(platform_names()) >= {"vllm", "ollama", "openai"}
    for name in platform_names():
        entry = get_platform(name)
        assert entry.chat_provider and entry.completion_provider and entry.embedding_provider
        assert "server" in entry.resource_table() and "models" in entry.resource_table()


def test_the_declared_builtin_names_are_the_platform_packages_and_their_entries() -> None:
    packages = {m.name for m in pkgutil.iter_modules(platforms_package.__path__) if m.ispkg} - {"common"}
    builtin = [entry.name for entry in platforms() if entry.builtin]
    assert set(builtin) == packages
    assert builtin == [name for name in platform_names() if name in packages]  # declaration order
    for name in builtin:
        assert get_platform(name).name == name


# A fresh process: which platform packages the registry imports, before and after one is used.
_LAZY_CHECK = """
import json, sys
from openai_compatible_client import errors
from openai_compatible_client.platforms import get_platform, platform_names

prefix = "openai_compatible_client.platforms."

def loaded():
    return sorted({m.split(".")[2] for m in sys.modules if m.startswith(prefix) and m.count(".") > 2})

report = {"names": platform_names(), "before": loaded()}
get_platform("ollama")
report["ollama"] = loaded()
report["entries"] = sorted(m for m in sys.modules if m.endswith(".platform") and m.startswith(prefix))
error = errors.error_from_response(
    platform="llamacpp", endpoint="GET /x", url="http://h/x", status=501, content=b"{}"
)
report["hint"] = "--embeddings" in str(error)
print(json.dumps(report))
"""


def test_a_platform_package_is_imported_when_that_platform_is_first_asked_for() -> None:
    done = subprocess.run([sys.executable, "-c", _LAZY_CHECK], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["names"] == ["vllm", "ollama", "openai", "llamacpp"] and report["before"] == []
    assert report["ollama"] == ["ollama"]
    assert report["entries"] == ["openai_compatible_client.platforms.ollama.platform"]
    assert report["hint"] is True  # an error names the fix of a platform not used yet
