"""The SDK's public surface is its facade: these names, sorted, each defined in a private module."""

from __future__ import annotations

import importlib
import pkgutil

import taskprogress.sdk as sdk

PUBLIC = [
    "APIError",
    "AbstractAction",
    "ActionResult",
    "ApiResult",
    "AsyncClient",
    "CancelLongJobAction",
    "Client",
    "ClientClosed",
    "DeleteLongJobAction",
    "ErrorCode",
    "GetTaskProgressAction",
    "LogInByAccountAction",
    "LogOutAction",
    "LongJob",
    "Param",
    "ParameterError",
    "ProgressEvent",
    "ProgressNode",
    "ProgressSummary",
    "ProgressTree",
    "QueryAction",
    "QueryGlobalConfigAction",
    "QueryLongJobAction",
    "RenewSessionAction",
    "RequestRefused",
    "RerunLongJobAction",
    "Session",
    "SubmitLongJobAction",
    "TaskProgress",
    "TaskProgressSDKError",
    "TimeoutError",
    "TransportError",
    "UpdateGlobalConfigAction",
    "ValidateSessionAction",
    "configure",
    "hash_password",
]


def test_the_facade_exports_exactly_the_public_names_sorted():
    assert sdk.__all__ == PUBLIC == sorted(PUBLIC)
    for name in PUBLIC:
        assert getattr(sdk, name).__module__ == "taskprogress.sdk", name


def test_every_module_is_private_and_declares_what_it_contributes():
    contributed: list[str] = []
    for module in pkgutil.iter_modules(sdk.__path__):
        assert module.name.startswith("_"), f"taskprogress.sdk.{module.name} should be private"
        contributed += importlib.import_module(f"taskprogress.sdk.{module.name}").__all__
    assert sorted(contributed) == PUBLIC


def test_errors_form_one_hierarchy():
    for name in ("APIError", "RequestRefused", "TransportError", "TimeoutError", "ParameterError", "ClientClosed"):
        assert issubclass(getattr(sdk, name), sdk.TaskProgressSDKError)
    assert issubclass(sdk.TimeoutError, TimeoutError) and issubclass(sdk.ParameterError, ValueError)
