"""``create_app``: the FastAPI application over a set of services.

Every route answers under ``/zstack/v1`` (ZStack's context path, what deployments use) and under ``/v1`` (for
SDKs left at their default context path). The OpenAPI document is at ``/zstack/openapi.json``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from taskprogress.rest import errors
from taskprogress.rest.routes import accounts, agent, configs, jobs, long_jobs, progress, progress_events, sessions
from taskprogress.rest.routes.dashboard import router as dashboard_router
from taskprogress.rest.wire import API_PREFIX, CONTEXT_PATH
from taskprogress.services.container import Services
from taskprogress.services.progress_feed import ProgressFeeds
from taskprogress.services.progress_stream import ProgressStreams

PREFIXES = (CONTEXT_PATH + API_PREFIX, API_PREFIX)
ROUTERS = (
    sessions.router,
    accounts.router,
    progress_events.router,
    progress.router,
    configs.router,
    jobs.router,
    long_jobs.router,
)


def _operation_id(route: APIRoute) -> str:
    # Unique across both prefixes: the path says which copy it is.
    method = sorted(route.methods)[0].lower()
    return f"{route.name}_{method}_{route.path_format.strip('/').replace('/', '_').replace('{', '').replace('}', '')}"


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="taskprogress",
        summary="ZStack-compatible task progress: ZStack's REST API v1 (sessions, accounts, API jobs, progress)",
        version="0.1.0",
        openapi_url=f"{CONTEXT_PATH}/openapi.json",
        docs_url=f"{CONTEXT_PATH}/docs",
        redoc_url=None,
        redirect_slashes=False,  # ZStack answers a trailing slash with 404, not a redirect
        generate_unique_id_function=_operation_id,
    )
    app.state.services = services
    # One feed per watched API, shared by its streams and long polls (asyncio: no thread per client).
    app.state.progress_streams = ProgressStreams(ProgressFeeds(services.progress, services.store))
    for prefix in PREFIXES:
        for router in ROUTERS:
            app.include_router(router, prefix=prefix)
    for prefix in (CONTEXT_PATH + agent.AGENT_PREFIX, agent.AGENT_PREFIX):  # agents post beside /v1
        app.include_router(agent.router, prefix=prefix)
    app.include_router(dashboard_router)  # the web dashboard's static files, at /zstack/ui/
    errors.register(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, minus what cannot happen here: parameters are parsed by hand, so never a 422."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, summary=app.summary, routes=app.routes, description=_DESCRIPTION
        )
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                operation.get("responses", {}).pop("422", None)
        components = schema.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        if "components" in schema and not components:
            schema["components"].pop("schemas", None)
            if not schema["components"]:
                schema.pop("components")
        app.openapi_schema = schema
    return app.openapi_schema


_DESCRIPTION = """\
ZStack REST conventions: a sync API answers 200 with its mapped result or 503 `{"error": ErrorCode}`; an async
API answers 202 `{location, apiTimeout}` and its result is polled at `location`. Requests refused before the API
runs (a missing `Authorization`, a bad header, malformed JSON, a repeated scalar query parameter) get a plain-text
400; unknown paths a plain-text 404 (`no api mapping to ...`); a wrong method a plain-text 405. An invalid or
expired session is 503 `ID.1001`, never 401. Unknown query parameters are ignored. Every route also answers
without the `/zstack` context path.
"""
