"""``taskprogress demo``: right after install (no server running, nobody logged in) it starts an embedded server,
runs a ScriptedJob showing every kind of progress, watches it to the end and stops the server again."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clirun import free_port, one_line_error, run
from serverproc import ServerProcess
from taskprogress.cli.demo import demo_script
from zstack import ADMIN_PASSWORD, ZStack, oauth

LINE = re.compile(r"^\d\d:\d\d:\d\d  (?: --|[ \d]{2}\d)%(?:  .*)?$")


@pytest.fixture(scope="module")
def server_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield f"sqlite:///{tmp_path_factory.mktemp('server')}/taskprogress.db"


def check_demo_output(stdout: str) -> None:
    lines = stdout.splitlines()
    assert re.match(r"^long job [0-9a-f]{32} \(ScriptedJob\), apiId [0-9a-f]{32}$", lines[0]), lines[0]
    assert "\x1b" not in stdout
    assert all(LINE.match(line) for line in lines[1:]), lines
    for seen in (
        "step 1/",  # steps, numbered
        ": Check the request[ttylinux]",
        "Download the image[ttylinux] > step 2/3: Download 300 MB",  # a sub-task with its total
        'Download the image[ttylinux]: 40%  {"bytesDone":314572800,"bytesTotal":314572800}',  # detail, nested stage end
        "Copy the image to backup-storage-1: ",  # parallel branches
        "Convert the image to raw > step 2/2: Write ttylinux.raw",
        "Register the image[ttylinux]",
        "eta ",
        "rate ",
    ):
        assert seen in stdout, seen
    percents = [int(line[10:14].strip(" %")) for line in lines[1:] if line[10:14].strip(" %").isdigit()]
    assert percents == sorted(percents)  # the overall bar never goes back
    assert len([p for p in percents if 3 < p < 100]) > 20  # report_until: many small steps
    assert lines[-1][10:] == f'100%  Succeeded  result: {{"operations":{count_operations(demo_script())}}}'


def count_operations(script: list[dict[str, object]]) -> int:
    count = 0
    for operation in script:
        count += 1
        for key in ("script",):
            if isinstance(operation.get(key), list):
                count += count_operations(operation[key])  # type: ignore[arg-type]
        for branch in operation.get("scripts", []):  # type: ignore[attr-defined]
            count += count_operations(branch)
    return count


def test_demo_without_a_server_starts_its_own(tmp_path: Path) -> None:
    home, temp = tmp_path / "config", tmp_path / "tmp"
    temp.mkdir()
    url = f"http://127.0.0.1:{free_port()}"
    result = run(home, "demo", "--quick", TASKPROGRESS_SERVER=url, TMPDIR=str(temp))
    assert result.returncode == 0, result.stdout + result.stderr
    check_demo_output(result.stdout)
    notes = result.stderr.splitlines()
    assert notes[0] == f"no server answers at {url}: starting an embedded one for the demo"
    embedded = re.match(r"^embedded server at (http://127\.0\.0\.1:\d+) \(stopped when the demo ends\)$", notes[1])
    assert embedded, notes
    with pytest.raises(httpx.ConnectError):  # stopped
        httpx.get(f"{embedded.group(1)}/zstack/openapi.json", timeout=5)
    assert list(temp.iterdir()) == []  # its database and data folder are gone
    assert not home.exists()  # no session kept: it logged in with a password only it knew


def test_demo_runs_on_the_server_logged_in_to(server: ServerProcess, tmp_path: Path, zs: ZStack) -> None:
    home = tmp_path / "config"
    assert run(home, "login", "--server", server.base_url, "--password", ADMIN_PASSWORD).returncode == 0
    result = run(home, "demo", "--quick")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    check_demo_output(result.stdout)
    uuid = result.stdout.split()[2]
    job = zs.http.get(f"/longjobs/{uuid}", headers=oauth(zs.admin())).json()["inventories"][0]
    assert job["name"] == "demo" and job["jobName"] == "ScriptedJob" and job["state"] == "Succeeded"


def test_demo_does_not_log_in_by_itself_to_a_running_server(server: ServerProcess, tmp_path: Path) -> None:
    result = run(tmp_path / "config", "demo", "--quick", TASKPROGRESS_SERVER=server.base_url)
    assert result.returncode == 1
    assert one_line_error(result) == (
        f"error: a server answers at {server.base_url} but you are not logged in to it: run `taskprogress login` "
        "first, or `taskprogress demo --embedded` for a server of the demo's own"
    )


def test_demo_script_shows_every_kind_of_progress() -> None:
    text = repr(demo_script())
    for operation in ("'step'", "'subtask'", "'totalSteps'", "'stage'", "'parallel'", "'until'", "'detail'"):
        assert operation in text, operation
    waits = re.compile(r"'(sleep|interval)': [0-9.]+")
    assert waits.sub("wait", repr(demo_script(0.2))) == waits.sub("wait", text)  # the same script, shorter waits
