"""ZStack-style actions, for porting scripts written against ZStack's Python SDK (``zssdk.py``).

Same shapes: ``configure(hostname=..., port=..., context_path="/zstack")`` once, then an action object with the
API's fields as camelCase attributes, ``sessionId``, and ``call()`` returning a result with ``error`` (None on
success) and ``value`` (attribute access over the reply, e.g. ``value.inventories``; a missing key reads None).

Where ZStack's SDK is wrong, this one is right:

- a failed sync call gives the server's ErrorCode (``ID.1001``...), not ``sdk.1000`` with the body as text;
  ``sdk.1000`` is left for refusals that carry no ErrorCode (a plain-text 400/404);
- async actions poll their job until done within ``polling_timeout`` (or ``action.timeout``), not the 15 s read
  timeout; running out gives ``sdk.1001`` with a description;
- GET parameters are URL-encoded, lists as repeated parameters; ``sessionId`` never goes into a URL;
- nothing is printed.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar
from uuid import uuid4

import httpx

from taskprogress.sdk._exceptions import ParameterError, TransportError
from taskprogress.sdk._protocol import next_interval

__all__ = ["AbstractAction", "ActionResult", "ErrorCode", "Param", "QueryAction", "configure"]

HTTP_ERROR = "sdk.1000"
POLLING_TIMEOUT = "sdk.1001"


@dataclass(frozen=True)
class _Config:
    hostname: str = "127.0.0.1"
    port: int = 8080
    context_path: str | None = None
    polling_timeout: float = 3 * 3600
    polling_interval: float = 1.0
    read_timeout: float = 15.0
    write_timeout: float = 15.0
    web_hook: str | None = None
    transport: httpx.BaseTransport | None = None  # the transport seam (an httpx.MockTransport in unit tests)


_config = _Config()


def configure(**settings: Any) -> None:
    """ZStack's ``configure``: ``hostname``, ``port``, ``context_path`` (``"/zstack"`` for a real deployment),
    ``polling_timeout`` and ``polling_interval`` (seconds, async actions), ``read_timeout``, ``write_timeout``,
    ``web_hook`` (sent as ``X-Web-Hook``), ``transport`` (any httpx transport). Settings not given keep their
    current value."""
    global _config
    known = {f.name for f in fields(_Config)}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ParameterError(f"configure() got unknown settings: {', '.join(unknown)}")
    _config = replace(_config, **settings)


class _Obj:
    """Attribute access over a JSON object, as zssdk's results: ``value.inventory.uuid``; missing keys are None."""

    def __init__(self, data: dict[str, Any]) -> None:
        for key, value in data.items():
            setattr(self, key, _wrap(value))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({vars(self)!r})"


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _Obj(value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


class ErrorCode(_Obj):
    """ZStack's ErrorCode: ``code``, ``description``, ``details``, ``elaboration``, ``cause``..."""


def _error(code: str, description: str, details: str | None = None) -> ErrorCode:
    return ErrorCode({"code": code, "description": description, "details": details})


@dataclass
class ActionResult:
    error: ErrorCode | None = None
    value: Any = None  # an attribute object over the reply


@dataclass(frozen=True)
class Param:
    required: bool = False
    valid_values: tuple[Any, ...] | None = None
    types: tuple[type, ...] | None = None


class AbstractAction:
    HTTP_METHOD: ClassVar[str]
    PATH: ClassVar[str]  # below /v1, with {pathVariables}
    NEED_SESSION: ClassVar[bool] = True
    NEED_POLL: ClassVar[bool] = False
    PARAM_NAME: ClassVar[str | None] = None  # the body key of POST/PUT (``params``, ``logInByAccount``...)
    PARAMS: ClassVar[dict[str, Param]] = {}

    def __init__(self) -> None:
        for name in self.PARAMS:
            setattr(self, name, None)
        self.systemTags: list[str] | None = None
        self.userTags: list[str] | None = None
        self.sessionId: str | None = None
        self.timeout: float | None = None  # seconds an async action may take (default: polling_timeout)
        if "apiId" not in self.PARAMS:
            self.apiId: str | None = None  # zssdk's client-chosen job id (X-Job-UUID)

    # -- the request -----------------------------------------------------------------------------------

    def _values(self) -> dict[str, Any]:
        values = {}
        for name, param in self.PARAMS.items():
            value = getattr(self, name)
            if value is None:
                if param.required:
                    raise ParameterError(f"missing a mandatory parameter[{name}] of {type(self).__name__}")
                continue
            if param.types is not None and not isinstance(value, param.types):
                raise ParameterError(f"parameter[{name}] must be {'/'.join(t.__name__ for t in param.types)}")
            if param.valid_values is not None and value not in param.valid_values:
                raise ParameterError(f"parameter[{name}] must be one of {list(param.valid_values)}, got {value!r}")
            values[name] = value
        return values

    def _url(self, values: dict[str, Any]) -> tuple[str, set[str]]:
        path, used = self.PATH, set()
        for name, value in values.items():
            if "{" + name + "}" in path:
                path = path.replace("{" + name + "}", str(value))
                used.add(name)
        if "{" in path:
            raise ParameterError(f"{type(self).__name__}: no value for the path {self.PATH}")
        context = _config.context_path or ""
        return f"http://{_config.hostname}:{_config.port}{context}/v1{path}", used

    def _request(self) -> httpx.Request:
        values = self._values()
        if self.NEED_SESSION and not self.sessionId:
            raise ParameterError(f"sessionId is mandatory for {type(self).__name__}")
        url, in_path = self._url(values)
        values = {k: v for k, v in values.items() if k not in in_path}
        headers = {"X-Job-UUID": getattr(self, "apiId", None) or uuid4().hex} if "apiId" not in self.PARAMS else {}
        if self.NEED_SESSION:
            headers["Authorization"] = f"OAuth {self.sessionId}"
        if self.NEED_POLL and _config.web_hook:
            headers["X-Web-Hook"] = _config.web_hook
        tags = {k: v for k, v in (("systemTags", self.systemTags), ("userTags", self.userTags)) if v}
        if self.HTTP_METHOD in ("GET", "DELETE"):
            return httpx.Request(self.HTTP_METHOD, url, params=self._query({**values, **tags}), headers=headers)
        body: dict[str, Any] = {self.PARAM_NAME or "params": values, **tags}
        headers["Content-Type"] = "application/json"
        return httpx.Request(self.HTTP_METHOD, url, content=json.dumps(body).encode(), headers=headers)

    def _query(self, values: dict[str, Any]) -> list[tuple[str, str]]:
        query = []
        for name, value in values.items():
            for item in value if isinstance(value, list | tuple) else [value]:
                query.append((name, _text(item)))
        return query

    # -- the call --------------------------------------------------------------------------------------

    def call(self) -> ActionResult:
        """Send the API; an async one is polled until done. Transport failures raise TransportError."""
        request = self._request()
        timeout = httpx.Timeout(_config.read_timeout, write=_config.write_timeout)
        try:
            with httpx.Client(timeout=timeout, transport=_config.transport) as http:
                response = http.send(request)
                if response.status_code == 202 and self.NEED_POLL:
                    return self._poll(http, response)
                return _result(response)
        except httpx.HTTPError as exc:
            raise TransportError(f"{type(self).__name__}: {exc!r}") from exc

    def _poll(self, http: httpx.Client, accepted: httpx.Response) -> ActionResult:
        location = str(_json(accepted).get("location") or "")
        job = location.rstrip("/").rsplit("/", 1)[-1]
        context = _config.context_path or ""
        url = f"http://{_config.hostname}:{_config.port}{context}/v1/api-jobs/{job}"
        budget = self.timeout if self.timeout is not None else _config.polling_timeout
        deadline, interval = time.monotonic() + budget, 0.0
        headers = {"Authorization": f"OAuth {self.sessionId}"} if self.sessionId else {}
        while True:
            response = http.get(url, headers=headers)
            if response.status_code != 202:
                return _result(response)
            interval = next_interval(interval, _config.polling_interval)
            if time.monotonic() + interval > deadline:
                description = f"the API [{job}] did not finish within {budget} s"
                return ActionResult(_error(POLLING_TIMEOUT, description, location))
            time.sleep(interval)


class QueryAction(AbstractAction):
    """ZStack's query actions: ``conditions`` (``["name=x", "state!=Done"]``), ``limit``, ``start``, ``count``,
    ``replyWithCount``, ``sortBy`` + ``sortDirection`` (``asc``/``desc``), ``fields``."""

    HTTP_METHOD = "GET"
    QUERY_PARAMS: ClassVar[dict[str, Param]] = {
        "conditions": Param(types=(list, tuple)),
        "limit": Param(types=(int,)),
        "start": Param(types=(int,)),
        "count": Param(types=(bool,)),
        "groupBy": Param(types=(str,)),
        "replyWithCount": Param(types=(bool,)),
        "sortBy": Param(types=(str,)),
        "sortDirection": Param(valid_values=("asc", "desc")),
        "fields": Param(types=(list, tuple)),
    }

    def __init__(self) -> None:
        super().__init__()
        for name in self.QUERY_PARAMS:
            setattr(self, name, None)
        self.conditions = []

    def _request(self) -> httpx.Request:
        request = super()._request()
        query: list[tuple[str, str]] = [("q", condition) for condition in self.conditions or []]
        for name in ("limit", "start", "count", "groupBy", "replyWithCount"):
            if (value := getattr(self, name)) is not None:
                query.append((name, _text(value)))
        if self.sortBy:
            query.append(("sort", ("-" if self.sortDirection == "desc" else "+") + self.sortBy))
        if self.fields:
            query.append(("fields", ",".join(self.fields)))
        return httpx.Request("GET", request.url.copy_merge_params(query), headers=request.headers)


def _text(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json() if response.content.strip() else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _result(response: httpx.Response) -> ActionResult:
    body = _json(response)
    if response.status_code == 200:
        return ActionResult(value=_Obj(body))
    if response.status_code == 503 and isinstance(body.get("error"), dict):
        return ActionResult(ErrorCode(body["error"]))  # the real code, unlike ZStack's SDKs
    description = f"the http status code[{response.status_code}] indicates a failure happened"
    return ActionResult(_error(HTTP_ERROR, description, response.text))
