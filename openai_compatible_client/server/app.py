"""``ReferenceServer``: one platform application on a loopback socket, in a background thread."""

from __future__ import annotations

from types import TracebackType

from openai_compatible_client._server_platforms import PLATFORMS as PLATFORMS

from .base import PlatformApp
from .transport import HTTPServerThread

DEFAULT_MODELS = {"vllm": ["reference-chat"], "ollama": ["llama3.2"], "llamacpp": ["reference-gguf"]}


def build_app(
    platform: str, models: list[str] | None = None, api_key: str | None = None, embedding_dim: int = 16
) -> PlatformApp:
    """Create the application object for ``platform`` (``"vllm"``, ``"ollama"`` or ``"llamacpp"``)."""
    names = list(models or DEFAULT_MODELS.get(platform, []))
    if embedding_dim < 1:
        raise ValueError("embedding_dim must be at least 1")
    if platform == "vllm":
        from .vllm_app import VLLMApp

        return VLLMApp(names, api_key=api_key, embedding_dim=embedding_dim)
    if platform == "ollama":
        from .ollama_app import OllamaApp

        return OllamaApp(names, api_key=api_key, embedding_dim=embedding_dim)
    if platform == "llamacpp":
        from .llamacpp_app import LlamaCppApp

        return LlamaCppApp(names, api_key=api_key, embedding_dim=embedding_dim)
    raise ValueError(f"unknown platform {platform!r}; expected one of: {', '.join(PLATFORMS)}")


class ReferenceServer:
    """The bundled reference server, run in-process.

    Example:
        >>> with ReferenceServer("vllm") as server:  # doctest: +SKIP
        ...     print(server.base_url)
        http://127.0.0.1:54321
    """

    def __init__(
        self,
        platform: str,
        host: str = "127.0.0.1",
        port: int = 0,
        models: list[str] | None = None,
        api_key: str | None = None,
        embedding_dim: int = 16,
    ) -> None:
        self.platform = platform
        self.app = build_app(platform, models, api_key, embedding_dim)
        self._host = host
        self._port = port
        self._http: HTTPServerThread | None = None
        self._bound_port: int | None = None

    def bind(self) -> None:
        """Open the listening socket (done by :meth:`start` if needed)."""
        if self._http is None:
            headers = {"vllm": [("server", "uvicorn")], "llamacpp": [("Server", "llama.cpp")]}.get(
                self.platform, []
            )
            self._http = HTTPServerThread(self.app, self._host, self._port, headers)
            self._bound_port = self._http.address[1]

    def start(self) -> ReferenceServer:
        """Bind and serve in a background thread; returns ``self``."""
        self.bind()
        assert self._http is not None
        self._http.start()
        return self

    def serve_forever(self) -> None:
        """Bind and serve in the calling thread until :meth:`stop` is called from another thread."""
        self.bind()
        assert self._http is not None
        self._http.serve_forever()

    @property
    def port(self) -> int:
        """The bound port (still known after :meth:`stop`)."""
        if self._bound_port is None:
            raise RuntimeError("the server is not bound yet; call start()")
        return self._bound_port

    @property
    def base_url(self) -> str:
        """``http://host:port`` (no trailing slash, no ``/v1``)."""
        host = self._host if ":" not in self._host else f"[{self._host}]"
        return f"http://{host}:{self.port}"

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._http is not None:
            self._http.shutdown()
            self._http = None

    def __enter__(self) -> ReferenceServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
