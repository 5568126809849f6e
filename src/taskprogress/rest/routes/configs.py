"""Global configuration: QueryGlobalConfig and UpdateGlobalConfig (admin only; effective without restart)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.rest import docs
from taskprogress.rest.async_api import accept_async
from taskprogress.rest.deps import BodyDep, CallerDep, HeadersDep, QueryDep, ServicesDep, TokenDep, action_params
from taskprogress.rest.inventories import (
    GLOBAL_CONFIG_CLASS,
    GLOBAL_CONFIG_FIELDS,
    global_config_inventory,
    query_reply,
    schema_map,
)
from taskprogress.rest.zquery import run_query
from taskprogress.services.identity import Caller

router = APIRouter(tags=["global configuration"])


@router.get(
    "/global-configurations",
    summary="QueryGlobalConfig",
    responses=docs.sync_responses(docs.ok("the settings", docs.many(GLOBAL_CONFIG_CLASS))),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA, *docs.ZSTACK_QUERY),
)
def query_global_configs(services: ServicesDep, _caller: CallerDep, query: QueryDep, _headers: HeadersDep) -> Response:
    inventories = [global_config_inventory(entry) for entry in services.configs.list()]
    reply = run_query(inventories, query, GLOBAL_CONFIG_FIELDS)
    return query_reply(reply.inventories, reply.total, GLOBAL_CONFIG_CLASS)


@router.put(
    "/global-configurations/{category}/{name}/actions",
    summary="UpdateGlobalConfig (async, admin only)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body=docs.action_body("updateGlobalConfig", {"value": {}}, required=("value",)),
    ),
)
def update_global_config(
    category: str,
    name: str,
    request: Request,
    services: ServicesDep,
    headers: HeadersDep,
    token: TokenDep,
    body: BodyDep,
) -> Response:
    params = action_params(request, body, "updateGlobalConfig", shared_path=True)

    def work(caller: Caller) -> dict[str, Any]:
        entry = services.configs.update(caller, category, name, params.get("value"))
        return {"inventory": global_config_inventory(entry)}

    return accept_async(
        request,
        services,
        headers,
        token,
        "org.zstack.core.config.APIUpdateGlobalConfigMsg",
        work,
        lambda body: schema_map(body["inventory"], GLOBAL_CONFIG_CLASS, "inventory"),
    )
