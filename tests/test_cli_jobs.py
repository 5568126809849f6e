"""``taskprogress jobs submit|list|show|cancel|rerun|delete`` (and ``submit --watch``) against a real server."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from clirun import one_line_error, run
from serverproc import ServerProcess
from zstack import ADMIN_PASSWORD, ZStack, oauth

QUICK = {"script": [{"step": "say %s", "args": ["hello"]}, {"progress": 50}, {"progress": 100}], "result": {"ok": 1}}
SLOW = {"script": [{"step": "wait"}, {"progress": 5}, {"sleep": 60}]}
SUBMITTED = re.compile(
    r"^submitted long job ([0-9a-f]{32}) \(ScriptedJob, (Waiting|Running|Succeeded)\); apiId ([0-9a-f]{32})$"
)


@pytest.fixture(scope="module")
def server_database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield f"sqlite:///{tmp_path_factory.mktemp('server')}/taskprogress.db"


@pytest.fixture
def home(server: ServerProcess, tmp_path: Path) -> Path:
    home = tmp_path / "config"
    result = run(home, "login", "--server", server.base_url, "--password", ADMIN_PASSWORD)
    assert result.returncode == 0, result.stderr
    return home


def submit(home: Path, data: dict[str, object], *options: str) -> tuple[str, str]:
    result = run(home, "jobs", "submit", "--job-name", "ScriptedJob", "--data", json.dumps(data), *options)
    assert result.returncode == 0, result.stderr
    match = SUBMITTED.match(result.stdout.splitlines()[0])
    assert match, result.stdout
    assert result.stdout.splitlines()[1] == f"watch it with: taskprogress watch {match.group(3)}"
    return match.group(1), match.group(3)


def show(home: Path, uuid: str) -> dict[str, object]:
    result = run(home, "jobs", "show", uuid, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["inventory"]


def test_submit_show_list(home: Path, zs: ZStack) -> None:
    uuid, api_id = submit(home, QUICK, "--name", "first", "--description", "a test")
    run(home, "watch", api_id)  # until it ends
    inventory = show(home, uuid)
    raw = zs.http.get(f"/longjobs/{uuid}", headers=oauth(zs.admin())).json()["inventories"][0]
    assert inventory == raw
    assert inventory["state"] == "Succeeded" and inventory["jobResult"] == '{"ok":1}'

    plain = run(home, "jobs", "show", uuid)
    assert plain.returncode == 0, plain.stderr
    fields = dict(re.split(r"\s{2,}", line, maxsplit=1) for line in plain.stdout.splitlines())
    assert fields["uuid"] == uuid and fields["name"] == "first" and fields["description"] == "a test"
    assert fields["state"] == "Succeeded" and fields["apiId"] == api_id and fields["jobName"] == "ScriptedJob"

    table = run(home, "jobs", "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()
    assert header.split() == ["UUID", "NAME", "JOB", "NAME", "STATE", "API", "ID", "CREATED", "SECONDS"]
    row = next(row for row in rows if row.strip().startswith(uuid))
    assert row.split()[:5] == [uuid, "first", "ScriptedJob", "Succeeded", api_id]

    listed = json.loads(run(home, "jobs", "list", "--json", "--name", "first").stdout)["inventories"]
    assert [job["uuid"] for job in listed] == [uuid]


def test_list_filters_by_state(home: Path) -> None:
    done, done_api = submit(home, QUICK, "--name", "done")
    slow, _ = submit(home, SLOW, "--name", "slow")
    try:
        assert run(home, "watch", done_api).returncode == 0
        running = json.loads(run(home, "jobs", "list", "--json", "--state", "Running").stdout)["inventories"]
        assert slow in [job["uuid"] for job in running] and done not in [job["uuid"] for job in running]
        both = run(home, "jobs", "list", "--json", "--state", "Running", "--state", "Succeeded")
        uuids = [job["uuid"] for job in json.loads(both.stdout)["inventories"]]
        assert slow in uuids and done in uuids
        limited = json.loads(run(home, "jobs", "list", "--json", "--limit", "1").stdout)["inventories"]
        assert len(limited) == 1
    finally:
        run(home, "jobs", "cancel", slow)
    assert json.loads(run(home, "jobs", "list", "--json", "--job-name", "Nope").stdout)["inventories"] == []
    assert run(home, "jobs", "list", "--job-name", "Nope").stdout == "no long jobs\n"


def test_cancel_rerun_delete(home: Path) -> None:
    uuid, api_id = submit(home, SLOW)
    canceled = run(home, "jobs", "cancel", uuid)
    assert canceled.returncode == 0, canceled.stderr
    assert canceled.stdout == f"long job {uuid}: Canceled\n"

    rerun = run(home, "jobs", "rerun", uuid)
    assert rerun.returncode == 0, rerun.stderr
    match = re.match(rf"^long job {uuid}: Running; apiId ([0-9a-f]{{32}})$", rerun.stdout.strip())
    assert match and match.group(1) != api_id
    assert show(home, uuid)["apiId"] == match.group(1)

    busy = run(home, "jobs", "delete", uuid)  # Running: not a final state
    assert one_line_error(busy).startswith("error: SYS.1007: ")
    assert run(home, "jobs", "cancel", uuid, "--json").returncode == 0
    deleted = run(home, "jobs", "delete", uuid)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout == f"deleted long job {uuid}\n"
    gone = run(home, "jobs", "show", uuid)
    assert (
        one_line_error(gone)
        == f"error: the server refused the request (HTTP 404): no long job [{uuid}] visible to this session"
    )


def test_submit_watch_and_rerun_watch(home: Path, tmp_path: Path) -> None:
    data_file = tmp_path / "job.json"
    data_file.write_text(json.dumps(QUICK))
    result = run(home, "jobs", "submit", "--job-name", "ScriptedJob", "--data-file", str(data_file), "--watch")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    uuid = SUBMITTED.match(lines[0]).group(1)  # type: ignore[union-attr]
    assert "\x1b" not in result.stdout
    assert any(line.endswith("step 1/1: say hello") or "say hello" in line for line in lines[1:])
    assert lines[-1][10:] == '100%  Succeeded  result: {"ok":1}'

    again = run(home, "jobs", "rerun", uuid, "--watch")
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1][10:] == '100%  Succeeded  result: {"ok":1}'

    failing = {"script": [{"progress": 20}, {"fail": "no space left"}]}
    failed = run(home, "jobs", "submit", "--job-name", "ScriptedJob", "--data", json.dumps(failing), "--watch")
    assert failed.returncode == 1
    assert failed.stdout.splitlines()[-1][10:] == " 20%  Failed  result: no space left"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--data", "{bad"], "error: --data is not valid JSON: Expecting property name enclosed in double quotes"),
        (["--data-file", "/nonexistent/job.json"], "error: cannot read --data-file /nonexistent/job.json"),
        ([], "error: give the job's data with exactly one of --data JSON or --data-file PATH"),
        (["--data", "{}", "--data-file", "x"], "error: give the job's data with exactly one of"),
    ],
)
def test_bad_job_data_is_refused_here(home: Path, options: list[str], message: str) -> None:
    result = run(home, "jobs", "submit", "--job-name", "ScriptedJob", *options)
    assert result.returncode == 2
    assert one_line_error(result).startswith(message)


def test_bad_data_file_json_names_the_file(home: Path, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("[1,")
    result = run(home, "jobs", "submit", "--job-name", "ScriptedJob", "--data-file", str(path))
    assert one_line_error(result).startswith(f"error: {path} is not valid JSON")


def test_zstack_errors_keep_code_description_and_details(home: Path) -> None:
    unknown = run(home, "jobs", "submit", "--job-name", "NoSuchJob", "--data", "{}")
    assert unknown.returncode == 1
    assert one_line_error(unknown) == "error: SYS.1007: One or more API argument is invalid: NoSuchJob is not an API"
    script = run(home, "jobs", "submit", "--job-name", "ScriptedJob", "--data", '{"script": [{"foo": 1}]}')
    assert one_line_error(script) == (
        'error: SYS.1007: One or more API argument is invalid: script[0]: unknown operation "foo"'
    )
    state = run(home, "jobs", "list", "--state", "Bogus")
    assert state.returncode == 2 and "unknown state Bogus" in one_line_error(state)
