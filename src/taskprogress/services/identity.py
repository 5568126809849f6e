"""Accounts and sessions, as ZStack has them (``AccountManagerImpl``, ``Session``), with safer password storage.

Session expiry slides: every authenticated call pushes it to now + ``identity.session.timeout``. To keep that off
the database on every request, the new expiry is written only once it has moved by more than a few seconds (or a
tenth of the timeout, when the timeout is short), so a session may end up to that much early, never late.

A node remembers a session it has checked for at most a second (``cached_caller``), so most authenticated calls
cost no database round trip. Logout, renewal and account deletion forget it at once on the node that does them;
on another node the session may live on for that second, as a settings change does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from taskprogress.errors import (
    AuthenticationFailed,
    InvalidArgument,
    InvalidSession,
    NotFound,
    PermissionDenied,
    TooManySessions,
)
from taskprogress.ids import is_valid_uuid, new_uuid
from taskprogress.services.clock import now_ms
from taskprogress.services.passwords import hash_password, verify_password
from taskprogress.store import Store, identity_sql

ADMIN_UUID = "36c27e8ff05c4780bf6d2fa65700f22e"  # ZStack's AccountConstant.INITIAL_SYSTEM_ADMIN_UUID
ADMIN_NAME = "admin"
NORMAL = "Normal"
SYSTEM_ADMIN = "SystemAdmin"
ACCOUNT_TYPES = (NORMAL, SYSTEM_ADMIN)

EXPIRY_WRITE_EVERY_MS = 5000
SESSION_CACHE_SECONDS = 1.0
SESSION_CACHE_SIZE = 10_000
RENEW_MIN_SECONDS, RENEW_MAX_SECONDS = 60, 31_536_000  # APIRenewSessionMsg.duration's @APIParam range

LOGIN_MSG = "org.zstack.header.identity.APILogInByAccountMsg"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who makes an authenticated call."""

    session_uuid: str
    account_uuid: str
    account_type: str

    @property
    def is_admin(self) -> bool:
        return self.account_type == SYSTEM_ADMIN


@dataclass(frozen=True, slots=True)
class SessionInfo:
    uuid: str
    account_uuid: str
    created_at: int
    expired_at: int


@dataclass(frozen=True, slots=True)
class AccountInfo:
    uuid: str
    name: str
    type: str
    description: str | None
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Any) -> AccountInfo:
        return cls(row["uuid"], row["name"], row["type"], row["description"], row["created_at"], row["updated_at"])


def mandatory_string(value: Any, field: str, message: str) -> str:
    """ZStack's ``@APIParam`` check for a mandatory string field (SYS.1007 when missing or not a string)."""
    if value is None:
        raise InvalidArgument(f"field[{field}] of message[{message}] is mandatory, can not be null")
    if not isinstance(value, str) or not value:
        raise InvalidArgument(f"field[{field}] of message[{message}] must be a non-empty string")
    return value


def optional_string(value: Any, field: str, message: str, max_length: int = 255) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > max_length:
        raise InvalidArgument(f"field[{field}] of message[{message}] must be a string of 1 to {max_length} chars")
    return value


@dataclass(frozen=True, slots=True)
class _Checked:
    """A session this node found live: until when, and from when on the next call must write a new expiry."""

    caller: Caller
    expired_at: int
    write_due_at: int
    checked_at: float  # monotonic


class Identity:
    def __init__(self, store: Store) -> None:
        self._store = store
        self._checked: dict[str, _Checked] = {}

    def _timeout_ms(self) -> int:
        return int(self._store.get_config("identity", "session.timeout")) * 1000

    # -- accounts ----------------------------------------------------------------------------------------

    def ensure_admin(self, client_password: str) -> bool:
        """Create the ``admin`` account unless it exists; True when it was created now."""
        now = now_ms()
        row = {
            "uuid": ADMIN_UUID,
            "name": ADMIN_NAME,
            "type": SYSTEM_ADMIN,
            "password_hash": hash_password(client_password),
            "description": "the initial system administrator",
            "created_at": now,
            "updated_at": now,
        }
        with self._store.connect(write=True) as conn:
            return identity_sql.insert_account(conn, row)

    def create_account(
        self, caller: Caller, name: Any, password: Any, type: Any = None, description: Any = None
    ) -> AccountInfo:
        message = "org.zstack.header.identity.APICreateAccountMsg"
        if not caller.is_admin:
            raise PermissionDenied("only an admin account can create accounts")
        name = mandatory_string(name, "name", message)
        password = mandatory_string(password, "password", message)
        type = NORMAL if type is None else type
        if type not in ACCOUNT_TYPES:
            raise InvalidArgument(f"field[type] of message[{message}] must be one of {list(ACCOUNT_TYPES)}")
        description = optional_string(description, "description", message, 2048)
        if len(name) > 255:
            raise InvalidArgument(f"field[name] of message[{message}] must be at most 255 chars")
        now = now_ms()
        row = {
            "uuid": new_uuid(),
            "name": name,
            "type": type,
            "password_hash": hash_password(password),
            "description": description,
            "created_at": now,
            "updated_at": now,
        }
        with self._store.connect(write=True) as conn:
            if not identity_sql.insert_account(conn, row):
                raise InvalidArgument(f"unable to create an account. An account already called {name}")
        return AccountInfo.from_row(row)

    def list_accounts(self, caller: Caller) -> list[AccountInfo]:
        """Every account for an admin; a normal account sees only itself."""
        with self._store.connect() as conn:
            if caller.is_admin:
                rows = identity_sql.all_accounts(conn)
            else:
                own = identity_sql.account_by_uuid(conn, caller.account_uuid)
                rows = [own] if own is not None else []
        return [AccountInfo.from_row(r) for r in rows]

    def update_account(
        self, caller: Caller, uuid: str, *, name: Any = None, password: Any = None, description: Any = None
    ) -> AccountInfo:
        message = "org.zstack.header.identity.APIUpdateAccountMsg"
        if not (caller.is_admin or caller.account_uuid == uuid):
            raise PermissionDenied("an account can only update itself unless it is an admin")
        values: dict[str, Any] = {}
        if (name := optional_string(name, "name", message)) is not None:
            values["name"] = name
        if (password := optional_string(password, "password", message, 1024)) is not None:
            values["password_hash"] = hash_password(password)
        if description is not None:
            values["description"] = optional_string(description, "description", message, 2048)
        values["updated_at"] = now_ms()
        with self._store.connect(write=True) as conn:
            if identity_sql.account_by_uuid(conn, uuid) is None:
                raise NotFound(f"unable to find account[uuid:{uuid}]")
            if name is not None:
                other = identity_sql.account_by_name(conn, name)
                if other is not None and other["uuid"] != uuid:
                    raise InvalidArgument(f"unable to update the account. An account already called {name}")
            identity_sql.update_account(conn, uuid, values)
            return AccountInfo.from_row(identity_sql.account_by_uuid(conn, uuid))

    def delete_account(self, caller: Caller, uuid: str) -> None:
        """Delete an account and end its sessions; deleting an unknown account succeeds (as ZStack)."""
        if not caller.is_admin:
            raise PermissionDenied("only an admin account can delete accounts")
        if uuid == ADMIN_UUID:
            raise InvalidArgument("the initial admin account cannot be deleted")
        self._forget(account_uuid=uuid)
        with self._store.connect(write=True) as conn:
            identity_sql.delete_account(conn, uuid)

    # -- sessions ----------------------------------------------------------------------------------------

    def login(self, account_name: Any, password: Any) -> SessionInfo:
        account_name = mandatory_string(account_name, "accountName", LOGIN_MSG)
        password = mandatory_string(password, "password", LOGIN_MSG)
        with self._store.connect() as conn:
            account = identity_sql.account_by_name(conn, account_name)
        # Verified outside any transaction: scrypt is slow on purpose and must not hold a database lock.
        if not verify_password(password, account["password_hash"] if account else None) or account is None:
            raise AuthenticationFailed()
        now = now_ms()
        limit = int(self._store.get_config("identity", "session.maxConcurrent"))
        session = SessionInfo(new_uuid(), account["uuid"], now, now + self._timeout_ms())
        with self._store.connect(write=True) as conn:
            if identity_sql.live_session_count(conn, account["uuid"], now) >= limit:
                raise TooManySessions()
            identity_sql.insert_session(
                conn,
                {
                    "uuid": session.uuid,
                    "account_uuid": session.account_uuid,
                    "created_at": session.created_at,
                    "expired_at": session.expired_at,
                },
            )
        return session

    def logout(self, session_uuid: str) -> None:
        """End a session; an unknown one is fine (ZStack answers ``{}`` either way)."""
        if is_valid_uuid(session_uuid):
            self._forget(session_uuid)
            with self._store.connect(write=True) as conn:
                identity_sql.delete_session(conn, session_uuid)

    def validate(self, session_uuid: str) -> bool:
        """Whether the session is live. Does not renew it: only authenticated calls do."""
        if not is_valid_uuid(session_uuid):
            return False
        with self._store.connect() as conn:
            row = identity_sql.session_with_account(conn, session_uuid)
        return row is not None and row["expired_at"] > now_ms()

    def authenticate(self, session_uuid: str) -> Caller:
        """The caller behind a session, renewing its sliding expiry; InvalidSession (ID.1001) if there is none."""
        if not is_valid_uuid(session_uuid):
            raise InvalidSession()
        with self._store.connect() as conn:
            row = identity_sql.session_with_account(conn, session_uuid)
        now = now_ms()
        if row is None:
            raise InvalidSession()
        if row["expired_at"] <= now:
            with self._store.connect(write=True) as conn:
                identity_sql.delete_session(conn, session_uuid)
            raise InvalidSession()
        timeout = self._timeout_ms()
        slack = min(EXPIRY_WRITE_EVERY_MS, timeout // 10)
        expired_at = row["expired_at"]
        if now + timeout - expired_at > slack:
            with self._store.connect(write=True) as conn:
                identity_sql.extend_session(conn, session_uuid, now + timeout)
            expired_at = now + timeout
        caller = Caller(session_uuid, row["account_uuid"], row["account_type"])
        if len(self._checked) >= SESSION_CACHE_SIZE:
            self._checked.clear()
        self._checked[session_uuid] = _Checked(caller, expired_at, expired_at - timeout + slack, time.monotonic())
        return caller

    def cached_caller(self, session_uuid: str) -> Caller | None:
        """The caller, without I/O, if this node checked the session within the last second and it needs no new
        expiry written yet; else None (then ``authenticate``)."""
        checked = self._checked.get(session_uuid)
        if checked is None or time.monotonic() - checked.checked_at > SESSION_CACHE_SECONDS:
            return None
        now = now_ms()
        if now >= checked.expired_at or now > checked.write_due_at:
            return None
        return checked.caller

    def _forget(self, session_uuid: str | None = None, *, account_uuid: str | None = None) -> None:
        if session_uuid is not None:
            self._checked.pop(session_uuid, None)
        if account_uuid is not None:
            for uuid, checked in list(self._checked.items()):
                if checked.caller.account_uuid == account_uuid:
                    self._checked.pop(uuid, None)

    def renew(self, caller: Caller, session_uuid: str, duration: Any) -> SessionInfo:
        """Set a session's expiry to now + ``duration`` seconds (default: the session timeout).

        A normal account renews only its own sessions; someone else's looks like an unknown one (ID.1001).
        """
        message = "org.zstack.header.identity.APIRenewSessionMsg"
        if duration is None:
            duration_ms = self._timeout_ms()
        elif isinstance(duration, bool) or not isinstance(duration, int | float) or duration != int(duration):
            raise InvalidArgument(f"field[duration] of message[{message}] must be an integer")
        elif not RENEW_MIN_SECONDS <= duration <= RENEW_MAX_SECONDS:
            raise InvalidArgument(
                f"field[duration] of message[{message}] must be in range "
                f"[{RENEW_MIN_SECONDS}, {RENEW_MAX_SECONDS}], got {int(duration)}"
            )
        else:
            duration_ms = int(duration) * 1000
        now = now_ms()
        with self._store.connect(write=True) as conn:
            row = identity_sql.session_with_account(conn, session_uuid) if is_valid_uuid(session_uuid) else None
            if row is None or row["expired_at"] <= now:
                raise InvalidSession()
            if not (caller.is_admin or row["account_uuid"] == caller.account_uuid):
                raise InvalidSession()
            identity_sql.set_session_expiry(conn, session_uuid, now + duration_ms)
        self._forget(session_uuid)
        return SessionInfo(session_uuid, row["account_uuid"], row["created_at"], now + duration_ms)

    def sweep_sessions(self) -> int:
        """Delete expired sessions; returns how many."""
        with self._store.connect(write=True) as conn:
            return identity_sql.delete_expired_sessions(conn, now_ms())
