"""What both platform applications share: the ``/_reference`` routes, recording and faults."""

from __future__ import annotations

import json
import sys
import traceback

from .faults import FaultPlan, disturb_stream, early_response
from .recording import RequestLog
from .transport import AnyResponse, Application, Request, Response, Route, Router, json_bytes

REFERENCE_PREFIX = "/_reference/"


class PlatformApp(Application):
    """Routes requests, records them and applies injected faults; platforms fill in the rest."""

    head_as_get = False
    """Whether ``HEAD`` is served by every ``GET`` route (Starlette does this; gin does not)."""

    def __init__(self, log: RequestLog | None = None, faults: FaultPlan | None = None) -> None:
        self.router = Router()
        self.log = log or RequestLog()
        self.faults = faults or FaultPlan()
        self.router.add("GET DELETE", "/_reference/requests", self._requests)
        self.router.add("POST DELETE", "/_reference/faults", self._faults)

    def route_for(self, method: str, path: str) -> Route | None:
        """The route a request will run (``None`` for 404/405)."""
        route, _, _ = self.router.match(method, path)
        if route is None and method == "HEAD" and self.head_as_get:
            route, _, _ = self.router.match("GET", path)
        return route

    def dispatch(self, request: Request) -> AnyResponse:
        """Record, apply faults, check access, run the route."""
        route, params, known = self.router.match(request.method, request.path)
        if route is None and request.method == "HEAD" and self.head_as_get:
            route, params, known = self.router.match("GET", request.path)
        request.params = params
        if request.body:
            try:
                request.json = json.loads(request.body)
            except ValueError as exc:
                request.json_error = str(exc)
        if request.path.startswith(REFERENCE_PREFIX):
            return route.handler(request) if route else Response(404, b"not found", "text/plain")
        request.record = self.log.add(request)
        fault = self.faults.take(request.method, request.path)
        if fault is not None:
            canned = early_response(fault)
            if canned is not None:
                return canned
        denied = self.check_access(request)
        if denied is not None:
            return denied
        if route is None:
            return self.method_not_allowed(request) if known else self.not_found(request)
        try:
            response = route.handler(request)
        except Exception:  # a bug in a route must still give the client an answer
            traceback.print_exc(file=sys.stderr)
            response = self.internal_error(request)
        if route.stream_body:
            request.record["body_size"] = request.body_reader.consumed
        return disturb_stream(fault, response) if fault is not None else response

    def check_access(self, request: Request) -> Response | None:
        """Return a refusal (e.g. 401) or ``None`` to let the request through."""
        return None

    def not_found(self, request: Request) -> Response:
        """The answer for an unknown path."""
        raise NotImplementedError

    def method_not_allowed(self, request: Request) -> Response:
        """The answer for a known path with the wrong method."""
        raise NotImplementedError

    def internal_error(self, request: Request) -> Response:
        """The answer when a route fails unexpectedly."""
        raise NotImplementedError

    def _requests(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.log.clear()
            return Response(204)
        return Response(200, json_bytes(self.log.snapshot()), "application/json")

    def _faults(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.clear()
            return Response(204)
        items = request.json if isinstance(request.json, list) else [request.json]
        try:
            for item in items:
                if not isinstance(item, dict):
                    raise ValueError("a fault must be a JSON object")
                self.faults.add(item)
        except ValueError as exc:
            return Response(400, json_bytes({"error": str(exc)}), "application/json")
        return Response(201, json_bytes({"queued": len(items)}), "application/json")
