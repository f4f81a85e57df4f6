"""Client settings: one validated, immutable :class:`ClientConfig`.

The environment is read only by :meth:`ClientConfig.from_env`, never at import.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from openai_compatible_client import errors as E

__all__ = [
    "ClientConfig",
    "OllamaOptions",
    "UnsupportedParamsPolicy",
    "VLLMOptions",
    "environment_proxy",
    "split_base_url",
]

UnsupportedParamsPolicy = Literal["warn", "error", "drop"]

DEFAULT_TIMEOUT = 600.0
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_MAX_RETRIES = 2
DEFAULT_VLLM_URL = "http://localhost:8000"
DEFAULT_OLLAMA_URL = "http://localhost:11434"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class VLLMOptions(_Frozen):
    """vLLM settings applied to every chat/completion/embedding call (a call's own values win)."""

    chat_template: str | None = None
    """A Jinja chat template sent as ``chat_template`` (for models that ship none)."""
    chat_template_kwargs: dict[str, Any] | None = None
    """Extra variables for the chat template, e.g. ``{"enable_thinking": False}``."""
    extra_body: dict[str, Any] = Field(default_factory=dict)
    """Default sampling extras such as ``{"top_k": 50, "min_p": 0.05, "repetition_penalty": 1.1}``."""


class OllamaOptions(_Frozen):
    """Ollama settings applied to every call (a call's own values win)."""

    keep_alive: str | float | None = None
    """How long the model stays loaded after a call: ``"5m"``, seconds, ``0`` unloads, ``-1`` forever."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Default model options such as ``{"num_ctx": 8192}``."""


def split_base_url(url: str) -> tuple[str, str]:
    """Split a base URL into the server root and the OpenAI-style ``/v1`` URL.

    A base URL may be given with or without ``/v1`` (and with a trailing slash).

    >>> split_base_url("http://localhost:8000/v1/")
    ('http://localhost:8000', 'http://localhost:8000/v1')
    >>> split_base_url("http://localhost:11434")
    ('http://localhost:11434', 'http://localhost:11434/v1')
    >>> split_base_url("https://gpu.example/proxy/vllm/v1")
    ('https://gpu.example/proxy/vllm', 'https://gpu.example/proxy/vllm/v1')
    """
    root = url.rstrip("/")
    if root.endswith("/v1"):
        root = root[: -len("/v1")]
    return root, root + "/v1"


def _check_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"base_url must start with http:// or https://, got {url!r}")
    if not parts.hostname:
        raise ValueError(f"base_url has no host: {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"base_url must not carry a query or fragment: {url!r}")
    if parts.username or parts.password:
        raise ValueError("base_url must not carry credentials; pass api_key= instead")
    try:
        _ = parts.port
    except ValueError as exc:
        raise ValueError(f"base_url has an invalid port: {url!r}") from exc
    if any(ch.isspace() for ch in url):
        raise ValueError(f"base_url contains whitespace: {url!r}")
    return urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/"), "", ""))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ClientConfig(_Frozen):
    """Settings of one client.

    Example:
        >>> cfg = ClientConfig(base_url="http://localhost:8000/v1", platform="vllm", api_key="secret")
        >>> cfg.root_url, cfg.openai_url
        ('http://localhost:8000', 'http://localhost:8000/v1')
        >>> "secret" in repr(cfg)
        False
    """

    base_url: str
    """The server's URL, with or without ``/v1``."""
    platform: str = "vllm"
    """``"vllm"``, ``"ollama"``, another registered platform, or ``"auto"`` (asks the server)."""
    api_key: SecretStr | None = None
    """Sent as ``Authorization: Bearer``; never printed in repr, logs or errors."""
    model: str | None = None
    """Default model for calls that name none."""
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0)
    """Seconds to wait for an answer (read timeout) per attempt."""
    connect_timeout: float = Field(default=DEFAULT_CONNECT_TIMEOUT, gt=0)
    """Seconds to wait for a connection."""
    max_retries: int = Field(default=DEFAULT_MAX_RETRIES, ge=0, le=100)
    """Retries after connection errors, 408, 409, 429 and 5xx, with capped exponential backoff."""
    default_headers: dict[str, str] = Field(default_factory=dict)
    """Headers sent with every request (they win over the ones below)."""
    default_query: dict[str, str] = Field(default_factory=dict)
    """Query parameters sent with every request."""
    organization: str | None = None
    """Sent as ``OpenAI-Organization``, as the SDK sends it (for proxies that route on it)."""
    project: str | None = None
    """Sent as ``OpenAI-Project``, as the SDK sends it."""
    trust_env: bool = True
    """Use ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` as the SDK does."""
    unsupported_params: UnsupportedParamsPolicy = "warn"
    """What to do with a parameter the platform cannot honour: warn and drop, raise, or drop."""
    request_id_header: bool = False
    """Send an ``X-Request-Id`` with each request (costs vLLM throughput when it echoes them)."""
    verify_tls: bool | str = True
    """TLS certificate verification: on by default; ``False`` turns it off; a path sets a CA bundle."""
    pool_maxsize: int = Field(default=10, ge=1, le=1024)
    """Connections kept per host (the async client's own aiohttp pool keeps every connection it
    opened, up to ``max(pool_maxsize, 100)``, each for 5 s idle)."""
    max_image_bytes: int = Field(default=20 * 1024 * 1024, ge=1)
    """Largest decoded image accepted in a message."""
    vllm: VLLMOptions = Field(default_factory=VLLMOptions)
    """vLLM defaults (chat template, sampling extras)."""
    ollama: OllamaOptions = Field(default_factory=OllamaOptions)
    """Ollama defaults (keep_alive, options)."""

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: "
                f"{err['msg'].removeprefix('Value error, ')}"
                for err in exc.errors()
            )
            raise E.ConfigurationError(f"invalid client settings: {problems}") from None

    def __getstate__(self) -> dict[Any, Any]:
        """Pickles never carry the key: an unpickled config has ``api_key=None`` (pass it again)."""
        state = super().__getstate__()
        fields = dict(state["__dict__"])
        fields["api_key"] = None
        return {**state, "__dict__": fields}

    @model_validator(mode="before")
    @classmethod
    def _timeout_object(cls, data: Any) -> Any:
        # openai.OpenAI(timeout=httpx.Timeout(600, connect=5.0)) (httpx2.Timeout on openai 3).
        timeout = data.get("timeout") if isinstance(data, dict) else None
        if timeout is None or isinstance(timeout, (int, float)) or not hasattr(timeout, "connect"):
            return data
        read, connect = timeout.read, timeout.connect
        if read is None:
            raise ValueError("a timeout with read=None (wait forever) is not supported; give seconds")
        return {**data, "timeout": read, "connect_timeout": connect if connect is not None else read}

    @field_validator("base_url")
    @classmethod
    def _valid_url(cls, value: str) -> str:
        return _check_url(value)

    @field_validator("platform")
    @classmethod
    def _platform_name(cls, value: str) -> str:
        # The name is looked up in the platform registry when a client is built.
        name = value.strip().lower()
        if not name.isidentifier():
            raise ValueError(
                f"invalid platform name {value!r}: use a registered name such as 'vllm', or 'auto'"
            )
        return name

    @field_validator("api_key")
    @classmethod
    def _header_safe_key(cls, value: SecretStr | None) -> SecretStr | None:
        # The key becomes a header value: a newline would split the request, and httpx refuses
        # anything but ASCII. Refused here, before any connection (the message never shows it).
        if value is not None and any(not " " <= c <= "~" for c in value.get_secret_value()):
            raise ValueError("api_key must be printable ASCII (no newline, control or non-ASCII characters)")
        return value

    @field_validator("default_headers")
    @classmethod
    def _header_values(cls, value: dict[str, str]) -> dict[str, str]:
        for name, text in value.items():
            if not name or any(c in name for c in ":\r\n ") or "\r" in text or "\n" in text:
                raise ValueError(f"invalid header {name!r}: names need no ':'/spaces, values no newlines")
        return value

    @property
    def root_url(self) -> str:
        """The server root (no ``/v1``): Ollama's ``/api/*`` and vLLM's ``/tokenize`` live here."""
        return split_base_url(self.base_url)[0]

    @property
    def openai_url(self) -> str:
        """The OpenAI-style URL (root + ``/v1``)."""
        return split_base_url(self.base_url)[1]

    @property
    def is_loopback(self) -> bool:
        """Whether the server is on this machine."""
        return _is_loopback(urlsplit(self.base_url).hostname or "")

    def secret(self) -> str | None:
        """The API key in clear, for the Authorization header only."""
        return self.api_key.get_secret_value() if self.api_key is not None else None

    @classmethod
    def from_env(
        cls, platform: str | None = None, environ: Mapping[str, str] | None = None, **overrides: Any
    ) -> ClientConfig:
        """Build settings from the conventional environment variables.

        ``OLLAMA_HOST`` (also ``host:port`` without a scheme) and ``OLLAMA_API_KEY`` for Ollama;
        ``VLLM_BASE_URL`` and ``VLLM_API_KEY`` for vLLM; ``OPENAI_BASE_URL`` and
        ``OPENAI_API_KEY`` as the fallback for either; ``OPENAI_ORG_ID`` and
        ``OPENAI_PROJECT_ID``. Keyword arguments win over the environment.

        >>> ClientConfig.from_env(environ={"OLLAMA_HOST": "0.0.0.0:11500"}).base_url
        'http://127.0.0.1:11500'
        >>> ClientConfig.from_env(environ={"VLLM_BASE_URL": "http://gpu:8000/v1"}).platform
        'vllm'
        """
        env = os.environ if environ is None else environ
        if platform is None:
            if "base_url" in overrides:
                platform = "auto"
            elif env.get("VLLM_BASE_URL"):
                platform = "vllm"
            elif env.get("OLLAMA_HOST"):
                platform = "ollama"
            else:
                platform = "vllm" if env.get("OPENAI_BASE_URL") else "auto"
        values: dict[str, Any] = {"platform": platform}
        if platform == "ollama":
            url = _ollama_host(env.get("OLLAMA_HOST")) or env.get("OPENAI_BASE_URL") or DEFAULT_OLLAMA_URL
            key = env.get("OLLAMA_API_KEY") or env.get("OPENAI_API_KEY")
        elif platform == "vllm":
            url = env.get("VLLM_BASE_URL") or env.get("OPENAI_BASE_URL") or DEFAULT_VLLM_URL
            key = env.get("VLLM_API_KEY") or env.get("OPENAI_API_KEY")
        else:
            url = (
                env.get("VLLM_BASE_URL")
                or _ollama_host(env.get("OLLAMA_HOST"))
                or env.get("OPENAI_BASE_URL")
                or DEFAULT_VLLM_URL
            )
            key = env.get("VLLM_API_KEY") or env.get("OLLAMA_API_KEY") or env.get("OPENAI_API_KEY")
        values["base_url"] = url
        if key:
            values["api_key"] = key
        for field, variable in (("organization", "OPENAI_ORG_ID"), ("project", "OPENAI_PROJECT_ID")):
            if env.get(variable):
                values[field] = env[variable]
        values.update(overrides)
        return cls(**values)


def _ollama_host(value: str | None) -> str | None:
    """Read ``OLLAMA_HOST`` the way Ollama does: optional scheme, default port 11434.

    >>> _ollama_host("example.com")
    'http://example.com:11434'
    >>> _ollama_host("https://example.com")
    'https://example.com:11434'
    >>> _ollama_host(":8080")
    'http://127.0.0.1:8080'
    """
    if not value:
        return None
    value = value.strip()
    scheme = "http"
    if "://" in value:
        scheme, value = value.split("://", 1)
    host, _, rest = value.partition("/")
    if host.startswith("["):
        name, _, port = host.partition("]")
        name, port = name + "]", port.lstrip(":")
    elif host.count(":") == 1:
        name, _, port = host.partition(":")
    else:
        name, port = host, ""
    if name in ("", "0.0.0.0"):
        name = "127.0.0.1"
    port = port or "11434"
    path = f"/{rest}" if rest else ""
    return f"{scheme}://{name}:{port}{path}"


def environment_proxy(url: str, environ: Mapping[str, str] | None = None) -> str | None:
    """The proxy the environment names for ``url``, as the OpenAI SDK (httpx) reads it.

    ``HTTPS_PROXY`` / ``HTTP_PROXY`` by the URL's scheme, else ``ALL_PROXY`` (lower case too);
    ``NO_PROXY`` (host names, domain suffixes, ``host:port``, ``*``) turns it off for a host.

    >>> environment_proxy("http://gpu:8000", {"HTTP_PROXY": "http://proxy:3128"})
    'http://proxy:3128'
    >>> environment_proxy("http://gpu:8000", {"HTTP_PROXY": "http://proxy:3128", "NO_PROXY": "gpu"}) is None
    True
    >>> environment_proxy("https://api.example", {"HTTP_PROXY": "http://proxy:3128"}) is None
    True
    """
    env = os.environ if environ is None else environ
    proxies = {
        name[:-6].lower(): value
        for name, value in env.items()
        if value and name.lower().endswith("_proxy") and name.lower() != "no_proxy"
    }
    for name in ("no_proxy", "NO_PROXY"):
        if env.get(name):
            proxies["no"] = env[name]
    parts = urlsplit(url)
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy:
        return None
    if _bypassed(parts.hostname or "", parts.port, proxies.get("no", "")):
        return None
    return proxy if "://" in proxy else f"http://{proxy}"


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """Whether ``NO_PROXY`` names a host: ``*``, the host, a domain suffix, optionally ``:port``.

    >>> _bypassed("gpu.lan", 8000, "localhost, .lan"), _bypassed("gpu", 8000, "gpu:9000")
    (True, False)
    >>> _bypassed("x", 1, "*")
    True
    """
    host = host.lower().strip("[]")
    for entry in no_proxy.replace(" ", "").lower().split(","):
        if entry == "*":
            return True
        name, _, wanted_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        name = name.strip("[]").lstrip(".")
        if not name or (wanted_port and str(port) != wanted_port):
            continue
        if host == name or host.endswith("." + name):
            return True
    return False
