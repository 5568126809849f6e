"""A small ZStack REST client for the HTTP tests: plain httpx, doing what the official SDKs do on the wire."""

from __future__ import annotations

import hashlib
import time
import uuid
from typing import Any

import httpx

ADMIN = "admin"
ADMIN_PASSWORD = "password"
POLL_TIMEOUT = 15.0


def sha512(plain: str) -> str:
    return hashlib.sha512(plain.encode()).hexdigest()


def oauth(session: str) -> dict[str, str]:
    return {"Authorization": f"OAuth {session}"}


def new_id() -> str:
    return uuid.uuid4().hex


class ZStack:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=f"{base_url}/zstack/v1", timeout=30)
        self._changed: list[tuple[str, str]] = []
        self._admin_session: str | None = None

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> ZStack:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sessions --------------------------------------------------------------------------------------

    def login_response(self, name: str, password: str, **headers: str) -> httpx.Response:
        body = {"logInByAccount": {"accountName": name, "password": sha512(password)}}
        return self.http.put("/accounts/login", json=body, headers=headers)

    def login(self, name: str = ADMIN, password: str = ADMIN_PASSWORD) -> str:
        response = self.login_response(name, password)
        assert response.status_code == 200, response.text
        return response.json()["inventory"]["uuid"]

    def admin(self) -> str:
        """A live admin session (logged in again when the last one expired)."""
        if self._admin_session is None or not self.valid(self._admin_session):
            self._admin_session = self.login()
        return self._admin_session

    def valid(self, session: str) -> bool:
        response = self.http.get(f"/accounts/sessions/{session}/valid")
        assert response.status_code == 200, response.text
        return response.json()["valid"]

    # -- async APIs ------------------------------------------------------------------------------------

    def submit(self, method: str, path: str, session: str, body: Any = None, **headers: str) -> httpx.Response:
        response = self.http.request(method, path, json=body, headers={**oauth(session), **headers})
        assert response.status_code == 202, response.text
        return response

    def poll(self, location: str, session: str, timeout: float = POLL_TIMEOUT) -> httpx.Response:
        """GET the job URL until the job is done (not 202), as the SDKs do."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.http.get(location, headers=oauth(session))
            if response.status_code != 202:
                return response
            assert response.json() == {}
            assert time.monotonic() < deadline, f"job {location} still running after {timeout} s"
            time.sleep(0.02)

    def call(self, method: str, path: str, session: str, body: Any = None, **headers: str) -> httpx.Response:
        """An async API, submitted and polled to its end."""
        accepted = self.submit(method, path, session, body, **headers)
        return self.poll(accepted.json()["location"], session)

    # -- accounts and settings -------------------------------------------------------------------------

    def create_account(self, name: str | None = None, password: str = "secret", type: str = "Normal") -> dict:
        name = name or f"user-{new_id()[:8]}"
        body = {"params": {"name": name, "password": sha512(password), "type": type}}
        response = self.call("POST", "/accounts", self.admin(), body)
        assert response.status_code == 200, response.text
        return response.json()["inventory"]

    def set_config(self, category: str, name: str, value: Any) -> None:
        """Change a setting for this test; ``restore_configs`` puts the default back."""
        admin = self.admin()  # before the change: a new limit or timeout must not lock the test out
        response = self.call(
            "PUT", f"/global-configurations/{category}/{name}/actions", admin, {"updateGlobalConfig": {"value": value}}
        )
        assert response.status_code == 200, response.text
        self._changed.append((category, name))

    def restore_configs(self) -> None:
        if not self._changed:
            return
        admin = self.admin()
        defaults = {
            (c["category"], c["name"]): c["defaultValue"]
            for c in self.http.get("/global-configurations", headers=oauth(admin)).json()["inventories"]
        }
        for category, name in reversed(self._changed):
            body = {"updateGlobalConfig": {"value": defaults[(category, name)]}}
            response = self.call("PUT", f"/global-configurations/{category}/{name}/actions", admin, body)
            assert response.status_code == 200, response.text
        self._changed.clear()
