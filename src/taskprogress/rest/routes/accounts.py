"""Accounts: CreateAccount, QueryAccount, UpdateAccount, DeleteAccount (admin-only where ZStack's are)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from taskprogress.rest import docs
from taskprogress.rest.async_api import accept_async
from taskprogress.rest.deps import BodyDep, CallerDep, HeadersDep, QueryDep, ServicesDep, TokenDep, action_params
from taskprogress.rest.inventories import ACCOUNT_CLASS, ACCOUNT_FIELDS, account_inventory, query_reply, schema_map
from taskprogress.rest.zquery import run_query
from taskprogress.services.identity import Caller

router = APIRouter(tags=["accounts"])

QUERY_REPLY = docs.ok("the accounts the caller may see (an admin: all; others: itself)", docs.many(ACCOUNT_CLASS))


def _inventory_schema(body: dict[str, Any]) -> dict[str, str]:
    return schema_map(body["inventory"], ACCOUNT_CLASS, "inventory")


@router.post(
    "/accounts",
    summary="CreateAccount (async, admin only)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body=docs.action_body(
            "params",
            {
                "name": docs.STRING,
                "password": {"type": "string", "description": "what the account will log in with (SHA-512 hex)"},
                "type": {"type": "string", "enum": ["Normal", "SystemAdmin"]},
                "description": docs.STRING,
            },
            required=("name", "password"),
        ),
    ),
)
def create_account(
    request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep, body: BodyDep
) -> Response:
    params = action_params(request, body, "params")

    def work(caller: Caller) -> dict[str, Any]:
        account = services.identity.create_account(
            caller, params.get("name"), params.get("password"), params.get("type"), params.get("description")
        )
        return {"inventory": account_inventory(account)}

    return accept_async(
        request, services, headers, token, "org.zstack.header.identity.APICreateAccountMsg", work, _inventory_schema
    )


@router.get(
    "/accounts",
    summary="QueryAccount",
    responses=docs.sync_responses(QUERY_REPLY),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA, *docs.ZSTACK_QUERY),
)
def query_accounts(services: ServicesDep, caller: CallerDep, query: QueryDep, _headers: HeadersDep) -> Response:
    inventories = [account_inventory(a) for a in services.identity.list_accounts(caller)]
    reply = run_query(inventories, query, ACCOUNT_FIELDS)
    return query_reply(reply.inventories, reply.total, ACCOUNT_CLASS)


@router.get(
    "/accounts/{uuid}",
    summary="QueryAccount (one)",
    responses=docs.sync_responses(QUERY_REPLY),
    openapi_extra=docs.extra(docs.AUTHORIZATION, docs.JOB_UUID, docs.JSON_SCHEMA),
)
def get_account(uuid: str, services: ServicesDep, caller: CallerDep, _headers: HeadersDep) -> Response:
    """As ZStack: ``GET /v1/<resources>/{uuid}`` is a query on the uuid, other parameters ignored."""
    inventories = [account_inventory(a) for a in services.identity.list_accounts(caller) if a.uuid == uuid]
    return query_reply(inventories, None, ACCOUNT_CLASS)


@router.put(
    "/accounts/{uuid}/actions",
    summary="UpdateAccount (async; an admin, or the account itself)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(
        *docs.ASYNC_HEADERS,
        body=docs.action_body(
            "updateAccount",
            {"name": docs.STRING, "password": docs.STRING, "description": docs.STRING},
        ),
    ),
)
def update_account(
    uuid: str, request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep, body: BodyDep
) -> Response:
    params = action_params(request, body, "updateAccount", shared_path=True)

    def work(caller: Caller) -> dict[str, Any]:
        account = services.identity.update_account(
            caller,
            uuid,
            name=params.get("name"),
            password=params.get("password"),
            description=params.get("description"),
        )
        return {"inventory": account_inventory(account)}

    return accept_async(
        request, services, headers, token, "org.zstack.header.identity.APIUpdateAccountMsg", work, _inventory_schema
    )


@router.delete(
    "/accounts/{uuid}",
    summary="DeleteAccount (async, admin only; the account's sessions end)",
    status_code=202,
    responses=docs.ASYNC_RESPONSES,
    openapi_extra=docs.extra(*docs.ASYNC_HEADERS, docs.query("deleteMode", "Permissive or Enforcing; both delete")),
)
def delete_account(
    uuid: str, request: Request, services: ServicesDep, headers: HeadersDep, token: TokenDep
) -> Response:
    def work(caller: Caller) -> dict[str, Any]:
        services.identity.delete_account(caller, uuid)
        return {}

    return accept_async(request, services, headers, token, "org.zstack.header.identity.APIDeleteAccountMsg", work)
