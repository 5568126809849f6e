"""``taskprogress login`` / ``logout``: a session on a server, kept in the user's config folder."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from taskprogress.cli import connect, session_file
from taskprogress.cli.failure import USAGE, CliError


def login(
    server: connect.ServerOption = None,
    account: Annotated[str, typer.Option("--account", envvar="TASKPROGRESS_ACCOUNT", help="account name")] = "admin",
    password: Annotated[
        str | None,
        typer.Option(
            "--password",
            envvar="TASKPROGRESS_PASSWORD",
            help="asked for (hidden) when not given, or read from stdin when it is not a terminal; prefer that or "
            "the env variable: a command line is visible to other users",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Log in and keep the session (server URL, account name and session uuid; never the password) in
    $TASKPROGRESS_CONFIG_DIR, $XDG_CONFIG_HOME/taskprogress or ~/.config/taskprogress."""
    from taskprogress.sdk import Client

    url = connect.chosen_server(server)
    if password is None:
        password = _ask_password(f"Password for {account} on {url}")
    previous = session_file.load()
    with connect.sdk_errors(), Client(url) as client:
        session = client.login(account, password)
        if previous is not None and previous.session != session.uuid and connect.server_url(previous.server) == url:
            _end_quietly(url, previous.session)
    path = session_file.save(session_file.StoredSession(url, account, session.uuid))
    typer.echo(f"logged in to {url} as {account} (session kept in {path})")


def logout(server: connect.ServerOption = None) -> None:
    """End the stored session on its server and forget it."""
    stored = session_file.load()
    if stored is None:
        raise CliError("not logged in")
    url = connect.server_url(server) if server else connect.server_url(stored.server)
    if connect.server_url(stored.server) != url:
        raise CliError(f"not logged in to {url} (the stored session is for {stored.server})")
    try:
        with connect.sdk_errors(), connect.logged_in_client(url) as client:
            client.logout()
    finally:
        session_file.remove()  # forgotten even when the server cannot be told: it expires there by itself
    typer.echo(f"logged out of {url}")


def _ask_password(prompt: str) -> str:
    """Asked for without echo on a terminal; read from the first line of stdin otherwise (``... | taskprogress
    login``)."""
    if sys.stdin.isatty():
        return str(typer.prompt(prompt, hide_input=True))
    line = sys.stdin.readline()
    if not line:
        raise CliError("no password: give --password, TASKPROGRESS_PASSWORD, or one line on stdin", USAGE)
    return line.rstrip("\r\n")


def _end_quietly(url: str, session_id: str) -> None:
    """The session this login replaces is ended, so logging in again does not leave sessions behind."""
    from taskprogress.sdk import Client, TaskProgressSDKError

    try:
        with Client(url, session_id=session_id) as client:
            client.logout()
    except TaskProgressSDKError:
        pass
