"""``taskprogress login|logout|progress|watch`` and the CLI's errors: the real console script against a real
server, its stdout a pipe (what scripts and log files get)."""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clirun import free_port, one_line_error, run, start
from serverproc import ServerProcess
from taskprogress.sdk import Client
from zstack import ADMIN_PASSWORD, ZStack, oauth

LINE = re.compile(r"^\d\d:\d\d:\d\d  (?: --|[ \d]{2}\d)%(?:  .*)?$")
SCRIPT = [
    {"sleep": 0.3},
    {"step": "prepare the host[%s]", "args": ["h1"]},
    {"progress": 10},
    {
        "stage": [10, 90],
        "script": [
            {
                "subtask": "Download the image[%s]",
                "args": ["ttylinux"],
                "totalSteps": 2,
                "script": [
                    {"step": "connect"},
                    {"progress": 50, "detail": {"bytesDone": 5}},
                    {"step": "verify"},
                    {"progress": 100},
                ],
            }
        ],
    },
    {"step": "register"},
    {"progress": 100},
]


@pytest.fixture(scope="module")
def server_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The CLI only speaks HTTP: one backend is enough (the server's own tests cover both)."""
    yield f"sqlite:///{tmp_path_factory.mktemp('server')}/taskprogress.db"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "config"


@pytest.fixture
def logged_in(server: ServerProcess, home: Path) -> Path:
    result = run(home, "login", "--server", server.base_url, input=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    return home


@pytest.fixture
def sdk(server: ServerProcess) -> Iterator[Client]:
    with Client(server.base_url) as client:
        client.login("admin", ADMIN_PASSWORD)
        yield client


def submit(sdk: Client, script: list[dict[str, object]], name: str = "cli test") -> str:
    return sdk.submit_long_job("ScriptedJob", {"script": script}, name=name).api_id or ""


def stored(home: Path) -> dict[str, str]:
    return json.loads((home / "session.json").read_text())


# -- login / logout ------------------------------------------------------------------------------------


def test_login_keeps_the_server_account_and_session_never_the_password(
    server: ServerProcess, home: Path, zs: ZStack
) -> None:
    result = run(home, "login", "--server", server.base_url + "/", "--account", "admin", "--password", ADMIN_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert f"logged in to {server.base_url} as admin" in result.stdout
    path = home / "session.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert ADMIN_PASSWORD not in text and "password" not in text.lower()
    session = stored(home)
    assert sorted(session) == ["account", "server", "session"]
    assert session["server"] == server.base_url and session["account"] == "admin"
    assert zs.valid(session["session"])

    # from the environment; the session it replaces is ended
    again = run(home, "login", TASKPROGRESS_SERVER=server.base_url, TASKPROGRESS_PASSWORD=ADMIN_PASSWORD)
    assert again.returncode == 0, again.stderr
    assert stored(home)["session"] != session["session"]
    assert not zs.valid(session["session"])
    assert zs.valid(stored(home)["session"])


def test_login_reads_the_password_from_stdin_when_it_is_not_a_terminal(server: ServerProcess, home: Path) -> None:
    result = run(home, "login", "--server", server.base_url, input=ADMIN_PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("logged in to")
    empty = run(home, "login", "--server", server.base_url, "--account", "x", input="")
    assert "no password" in one_line_error(empty)


def test_logout_ends_the_session_and_forgets_it(logged_in: Path, zs: ZStack) -> None:
    session = stored(logged_in)["session"]
    result = run(logged_in, "logout")
    assert result.returncode == 0, result.stderr
    assert "logged out" in result.stdout
    assert not (logged_in / "session.json").exists()
    assert not zs.valid(session)
    assert one_line_error(run(logged_in, "logout")) == "error: not logged in"


def test_wrong_password_is_one_line_with_the_zstack_code(server: ServerProcess, home: Path) -> None:
    result = run(home, "login", "--server", server.base_url, "--password", "wrong")
    assert result.returncode == 1
    assert one_line_error(result).startswith("error: ID.1000: ")
    assert not (home / "session.json").exists()


# -- progress ------------------------------------------------------------------------------------------


def test_progress_prints_the_tree(logged_in: Path, sdk: Client) -> None:
    api_id = submit(sdk, SCRIPT)
    sdk.wait(api_id, timeout=30)
    result = run(logged_in, "progress", api_id, "--all")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "\x1b" not in result.stdout
    assert re.match(rf"^API {api_id}  succeeded  █{{20}} 100%", lines[0]), lines[0]
    body = [re.sub(r"\d\d:\d\d:\d\d", "HH:MM:SS", line) for line in lines[1:]]
    body = [re.sub(r"^(├── Task step \d)(/\d+)?:", r"\1/N:", line) for line in body]  # the API's total: from history
    assert body == [
        "├── Task step 1/N: prepare the host[h1]  HH:MM:SS",
        "├── Progress ██░░░░░░░░░░░░░░░░░░ 10%  HH:MM:SS",
        "├── Task step 2/N: Download the image[ttylinux]  HH:MM:SS",
        "│   ├── Task step 1/2: connect  HH:MM:SS",
        '│   ├── Progress ██████████░░░░░░░░░░ 50%  HH:MM:SS  {"bytesDone":5}',
        "│   ├── Task step 2/2: verify  HH:MM:SS",
        "│   └── Progress ██████████████████░░ 90%  HH:MM:SS",
        "├── Task step 3/N: register  HH:MM:SS",
        "└── Progress ████████████████████ 100%  HH:MM:SS  (2 reports)",
    ]
    newest = run(logged_in, "progress", api_id)
    assert newest.returncode == 0, newest.stderr
    assert newest.stdout.splitlines()[1:] == [lines[-1].replace("  (2 reports)", "")]


def test_progress_json_is_the_zstack_reply(logged_in: Path, sdk: Client, zs: ZStack, server: ServerProcess) -> None:
    api_id = submit(sdk, SCRIPT)
    sdk.wait(api_id, timeout=30)
    for options, all_ in ((["--all"], "true"), ([], "false")):
        result = run(logged_in, "progress", api_id, "--json", *options)
        assert result.returncode == 0, result.stderr
        printed = json.loads(result.stdout)
        reply = zs.http.get(f"/task-progresses/{api_id}", params={"all": all_}, headers=oauth(zs.admin())).json()
        assert printed["inventories"] == reply["inventories"]
        assert printed["summary"]["state"] == "succeeded" and printed["summary"]["percent"] == 100
        assert set(printed["summary"]) <= set(reply["summary"])

    # straight from the database: no server, no login
    database = run(
        logged_in.parent / "nowhere", "progress", api_id, "--all", "--json", "--database-url", server.database_url
    )
    assert database.returncode == 0, database.stderr
    assert (
        json.loads(database.stdout)["inventories"]
        == json.loads(run(logged_in, "progress", api_id, "--all", "--json").stdout)["inventories"]
    )


def test_progress_of_an_unknown_api_says_so(logged_in: Path) -> None:
    result = run(logged_in, "progress", "0" * 32)
    assert result.returncode == 0
    assert "no progress for API" in result.stderr


# -- watch ---------------------------------------------------------------------------------------------


def test_watch_on_a_pipe_prints_one_plain_line_per_change_and_the_result(logged_in: Path, sdk: Client) -> None:
    api_id = submit(sdk, SCRIPT)
    result = run(logged_in, "watch", api_id)
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    lines = result.stdout.splitlines()
    assert all(LINE.match(line) for line in lines), lines
    texts = [line[10:] for line in lines]  # without the clock
    steps = [text for text in texts if "step" in text]
    steps = [re.sub(r"^step (\d)(/\d+)?:", r"step \1/N:", text.split("  ")[-1]) for text in steps]
    assert steps == [  # the API's total steps (N) are learned from earlier runs of the same task
        "step 1/N: prepare the host[h1]",
        "step 2/N: Download the image[ttylinux]",
        "Download the image[ttylinux] > step 1/2: connect",
        "Download the image[ttylinux] > step 2/2: verify",
        "step 3/N: register",
    ]
    assert any(
        text.startswith(" 50%") and 'Download the image[ttylinux]: 50%  {"bytesDone":5}' in text for text in texts
    )
    assert len(texts) == len(set(texts))  # a change is printed once
    assert texts[-1] == '100%  Succeeded  result: {"operations":11}'
    percents = [int(text[:4].strip(" %")) for text in texts if text[:4].strip(" %").isdigit()]
    assert percents == sorted(percents) and percents[-1] == 100


def test_watch_ends_with_the_failure_and_exit_code_1(logged_in: Path, sdk: Client) -> None:
    api_id = submit(sdk, [{"step": "try"}, {"progress": 30}, {"fail": "the disk is full"}])
    result = run(logged_in, "watch", api_id, "--plain")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1][10:] == " 30%  Failed  result: the disk is full"


def test_watch_a_canceled_job_exits_3(logged_in: Path, sdk: Client) -> None:
    job = sdk.submit_long_job("ScriptedJob", {"script": [{"step": "wait"}, {"progress": 5}, {"sleep": 60}]})
    watcher = start(logged_in, "watch", job.api_id or "")
    try:
        sdk.cancel_long_job(job.uuid)
        stdout, stderr = watcher.communicate(timeout=60)
    finally:
        watcher.kill()
    assert watcher.returncode == 3, stdout + stderr
    assert stdout.splitlines()[-1].endswith("Canceled  result: the long job was canceled")


def test_watch_an_api_job_shows_its_result(logged_in: Path, zs: ZStack, server: ServerProcess) -> None:
    """Not a long job: an async API (here RenewSession) ends with its job's result."""
    session = stored(logged_in)["session"]
    accepted = zs.http.put(f"/accounts/sessions/{session}/renew", json={"renewSession": {}}, headers=oauth(session))
    api_id = accepted.json()["location"].rsplit("/", 1)[1]
    result = run(logged_in, "watch", api_id, "--timeout", "30")
    assert result.returncode == 0, result.stderr
    last = result.stdout.splitlines()[-1]
    assert "succeeded  result: " in last and session in last


def test_watch_gives_up_after_its_timeout(logged_in: Path, sdk: Client) -> None:
    job = sdk.submit_long_job("ScriptedJob", {"script": [{"step": "wait"}, {"sleep": 60}]})
    try:
        result = run(logged_in, "watch", job.api_id or "", "--timeout", "1")
        assert "not finished within 1" in one_line_error(result)
    finally:
        sdk.cancel_long_job(job.uuid)


# -- errors --------------------------------------------------------------------------------------------


def test_not_logged_in(home: Path, server: ServerProcess) -> None:
    for args in (["progress", "0" * 32], ["watch", "0" * 32], ["jobs", "list"]):
        result = run(home, *args, "--server", server.base_url)
        assert one_line_error(result) == (
            f"error: not logged in to {server.base_url}: run `taskprogress login --server {server.base_url}` first"
        )
        assert result.returncode == 1


def test_unreachable_server(home: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = run(home, "login", "--server", url, "--password", "x")
    assert result.returncode == 1
    line = one_line_error(result)
    assert f"cannot reach {url}" in line and "taskprogress serve" in line


def test_a_session_ended_elsewhere(logged_in: Path, zs: ZStack) -> None:
    session = stored(logged_in)["session"]
    assert zs.http.delete(f"/accounts/sessions/{session}").status_code == 200
    line = one_line_error(run(logged_in, "progress", "0" * 32))
    assert line.startswith("error: ID.1001: ") and line.endswith("(log in again: taskprogress login)")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["progress", "0" * 32, "--server", "localhost:8080"], "bad server URL 'localhost:8080'"),
        (["login", "--server", "ftp://x", "--password", "x"], "bad server URL 'ftp://x'"),
    ],
)
def test_bad_arguments(home: Path, args: list[str], message: str) -> None:
    result = run(home, *args)
    assert result.returncode == 2
    assert message in one_line_error(result)


def test_usage_errors_are_clicks(home: Path) -> None:
    result = run(home, "watch")
    assert result.returncode == 2 and "Missing argument" in result.stderr and "Traceback" not in result.stderr


def test_the_server_is_reachable_under_zstack_path(logged_in: Path, server: ServerProcess) -> None:
    """--server may name the API base as ZStack's SDKs do (``.../zstack``)."""
    assert httpx.get(f"{server.base_url}/zstack/openapi.json").status_code == 200
    result = run(logged_in, "login", "--server", f"{server.base_url}/zstack", "--password", ADMIN_PASSWORD)
    assert result.returncode == 0, result.stderr
    assert run(logged_in, "progress", "0" * 32).returncode == 0
