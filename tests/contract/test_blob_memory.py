"""Pushing a 200 MB blob never holds it in memory: the peak increase stays under 32 MB.

Measured two ways: Python allocations with ``tracemalloc`` (sync and async clients, in this
process), and the resident set size of a fresh child process (``VmHWM`` after resetting it),
which also counts buffers outside Python's allocator.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import textwrap
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.contract.facade import invoke
from tests.support.reference import RunningServer

pytestmark = [pytest.mark.contract, pytest.mark.slow]

SIZE = 200 * 1024 * 1024
LIMIT = 32 * 1024 * 1024


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A 200 MiB file of varied bytes, written (and hashed) 1 MiB at a time."""
    path = tmp_path_factory.mktemp("blobs") / "weights.gguf"
    sha = hashlib.sha256()
    block = bytearray(os.urandom(1 << 20))
    with open(path, "wb") as handle:
        for index in range(SIZE >> 20):
            block[:8] = index.to_bytes(8, "little")
            handle.write(block)
            sha.update(block)
    return path, "sha256:" + sha.hexdigest()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_python_allocations_stay_flat(
    mode: str, big_file: tuple[Path, str], reference_server_factory: Callable[..., RunningServer]
) -> None:
    path, digest = big_file
    server = reference_server_factory("ollama")
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        pushed = invoke(mode, server.base_url, "ollama", "blobs.push", source=path)
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert pushed == digest
    (upload,) = [r for r in server.requests() if r["method"] == "POST"]
    assert upload["body_size"] == SIZE  # the server received (and hashed) every byte
    assert peak < LIMIT, f"peak Python allocation grew by {peak / 2**20:.1f} MiB"


_CHILD = textwrap.dedent(
    """
    import json, sys
    from openai_compatible_client import OpenAICompatibleClient

    def status(key):
        for line in open("/proc/self/status"):
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
        raise KeyError(key)

    url, path = sys.argv[1], sys.argv[2]
    with OpenAICompatibleClient(base_url=url, platform="ollama", max_retries=0) as client:
        client.version()  # imports and the pooled connection are in place before measuring
        with open("/proc/self/clear_refs", "w") as reset:
            reset.write("5")  # restart the high-water mark from the current RSS
        before = status("VmRSS")
        digest = client.blobs.push(path)
        print(json.dumps({"digest": digest, "increase": status("VmHWM") - before}))
    """
)


@pytest.mark.timeout(300)
@pytest.mark.skipif(not os.path.exists("/proc/self/clear_refs"), reason="needs Linux /proc to read peak RSS")
def test_process_peak_rss_stays_flat(
    big_file: tuple[Path, str], reference_server_factory: Callable[..., RunningServer]
) -> None:
    path, digest = big_file
    server = reference_server_factory("ollama")
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, server.base_url, str(path)],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        # the background LiteLLM import a new client starts (about 100 MiB) is not the upload's cost
        env={**os.environ, "OPENAI_COMPATIBLE_CLIENT_PREFETCH": "0"},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["digest"] == digest
    assert report["increase"] < LIMIT, f"peak RSS grew by {report['increase'] / 2**20:.1f} MiB"
