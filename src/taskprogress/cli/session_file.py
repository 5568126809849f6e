"""Where ``taskprogress login`` keeps the session: the server URL, the account name and the session uuid, in
``session.json`` of the user's config folder (mode 0600). Never the password.

The folder is ``$TASKPROGRESS_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/taskprogress``, else
``~/.config/taskprogress``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

FILE_NAME = "session.json"


@dataclass(frozen=True, slots=True)
class StoredSession:
    server: str
    account: str
    session: str


def config_dir() -> Path:
    override = os.environ.get("TASKPROGRESS_CONFIG_DIR")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "taskprogress"


def session_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> StoredSession | None:
    """The stored session; None when there is none or the file is not ours (it is then ignored, not trusted)."""
    try:
        data = json.loads(session_path().read_text())
        return StoredSession(str(data["server"]), str(data["account"]), str(data["session"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save(stored: StoredSession) -> Path:
    """Written to a private temporary file and renamed over the old one: never readable by others, never half
    written."""
    folder = config_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    path = folder / FILE_NAME
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".session-", suffix=".json")  # created with mode 0600
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(asdict(stored), out, indent=2)
            out.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def remove() -> bool:
    try:
        session_path().unlink()
    except FileNotFoundError:
        return False
    return True
