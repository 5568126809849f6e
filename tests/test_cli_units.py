"""The CLI's pure parts: how records read, the plain-pipe lines of ``watch``, exit codes, the session file."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from taskprogress.cli import render, session_file
from taskprogress.cli.connect import server_url
from taskprogress.cli.failure import CliError
from taskprogress.cli.watching import Changes, Outcome, PlainView
from taskprogress.sdk import ProgressSummary, TaskProgress


def record(uuid: str, type_: str, content: str, parent: str | None = None, **extra: object) -> TaskProgress:
    return TaskProgress(task_uuid=uuid, task_name="t", type=type_, time=0, parent_uuid=parent, content=content, **extra)  # type: ignore[arg-type]


def test_text_of_fills_the_arguments_in_as_zstack_uis_do() -> None:
    assert render.text_of(record("a", "Task", "Download the image[%s]", arguments='["ttylinux"]')) == (
        "Download the image[ttylinux]"
    )
    assert render.text_of(record("a", "Task", "copy %s to %s", arguments='["a", "b"]')) == "copy a to b"
    assert render.text_of(record("a", "Task", "no args", arguments="[]")) == "no args"
    assert render.text_of(record("a", "Task", "bad %s %s", arguments='["one"]')) == 'bad %s %s ["one"]'
    assert render.text_of(record("a", "Task", "not json %s", arguments="{")) == "not json %s"


def test_step_text_bar_duration_rate() -> None:
    assert render.step_text(record("a", "Task", "x", current_step=2, total_steps=3)) == "step 2/3: x"
    assert render.step_text(record("a", "Task", "x", current_step=5, total_steps=3)) == "step 5: x"
    assert render.step_text(record("a", "Task", "x")) == "step: x"
    assert render.bar(50, 10) == "█████░░░░░"
    assert render.bar(None, 4) == "░░░░"
    assert render.bar(140, 4) == "████"
    assert [render.duration(s) for s in (0.4, 46, 185, 3720)] == ["0s", "46s", "3m05s", "1h02m"]
    summary = ProgressSummary("a", percent=45, rate=1.23, eta_seconds=46.2, eta_basis="rate")
    assert render.rate_eta(summary) == "rate 1.2%/s  eta 46s (rate)"
    assert render.rate_eta(ProgressSummary("a", eta_basis="unknown")) == "eta unknown"
    assert render.rate_eta(ProgressSummary("a", eta_seconds=3, eta_basis="history", stalled=True)) == (
        "eta 3s (history)  STALLED"
    )
    assert render.rate_eta(ProgressSummary("a", rate=2, eta_seconds=0, eta_basis="finished")) == "rate 2.0%/s"


def test_zstack_json_gives_back_the_wire_shape() -> None:
    child = record("c", "Progress", "40", parent="p")
    parent = record("p", "Task", "x", arguments="[]", total_steps=2, current_step=1, sub_tasks=(child,))
    assert render.zstack_json(parent) == {
        "taskUuid": "p",
        "taskName": "t",
        "type": "Task",
        "time": 0,
        "content": "x",
        "arguments": "[]",
        "totalSteps": 2,
        "currentStep": 1,
        "subTasks": [
            {"taskUuid": "c", "taskName": "t", "type": "Progress", "time": 0, "parentUuid": "p", "content": "40"}
        ],
    }


def test_plain_view_prints_one_line_per_change_and_the_result() -> None:
    out = io.StringIO()
    view, changes = PlainView(out), Changes()
    feed = [
        record("s1", "Task", "prepare[%s]", arguments='["h1"]', current_step=1, total_steps=2),
        record("p1", "Progress", "10"),
        record("p1b", "Progress", "10"),  # the same again: no new line
        record("sub", "Task", "Download the image[%s]", arguments='["ttylinux"]', current_step=2, total_steps=2),
        record("s2", "Task", "connect", parent="sub", current_step=1, total_steps=1),
        record("p2", "Progress", "45", parent="sub", opaque={"bytesDone": 5}),
    ]
    for item in feed:
        view.on_record(changes, item, changes.add(item))
    changes.summary = ProgressSummary("a", percent=45, rate=1.2, eta_seconds=46, eta_basis="rate", stalled=True)
    view.on_summary(changes)
    view.finish(changes, Outcome("Succeeded", '{"operations":7}'))
    lines = [line[10:] for line in out.getvalue().splitlines()]  # without the clock
    assert lines == [
        " --%  step 1/2: prepare[h1]",
        " 10%",
        " 10%  step 2/2: Download the image[ttylinux]",
        " 10%  Download the image[ttylinux] > step 1/1: connect",
        ' 45%  Download the image[ttylinux]: 45%  {"bytesDone":5}',
        " 45%  rate 1.2%/s  eta 46s (rate)  STALLED  no progress lately",
        ' 45%  Succeeded  result: {"operations":7}',
    ]
    assert all(line[2] == ":" and line[5] == ":" for line in out.getvalue().splitlines())
    assert changes.depth(feed[-1]) == 1 and [n.record.task_uuid for n in changes.ancestors(feed[-1])] == ["sub"]


@pytest.mark.parametrize(
    ("state", "code"),
    [("Succeeded", 0), ("succeeded", 0), (None, 0), ("Failed", 1), ("failed", 1), ("Canceled", 3)],
)
def test_exit_codes(state: str | None, code: int) -> None:
    assert Outcome(state).exit_code == code


def test_server_url_is_checked() -> None:
    assert server_url("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert server_url(" https://zstack.example.org/zstack ") == "https://zstack.example.org/zstack"
    for bad in ("127.0.0.1:8080", "ftp://host", "http://", "http://host:99999", "host"):
        with pytest.raises(CliError) as caught:
            server_url(bad)
        assert caught.value.exit_code == 2 and "bad server URL" in str(caught.value)


def test_session_file_is_private_and_found_where_the_user_keeps_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TASKPROGRESS_CONFIG_DIR", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert session_file.session_path() == tmp_path / "xdg" / "taskprogress" / "session.json"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert session_file.session_path() == tmp_path / "home" / ".config" / "taskprogress" / "session.json"
    monkeypatch.setenv("TASKPROGRESS_CONFIG_DIR", str(tmp_path / "cfg"))
    assert session_file.load() is None
    stored = session_file.StoredSession("http://h:1", "admin", "s" * 32)
    path = session_file.save(stored)
    assert path == tmp_path / "cfg" / "session.json"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert session_file.load() == stored
    assert sorted(os.listdir(path.parent)) == ["session.json"]  # no temporary file left
    path.write_text("not json")
    assert session_file.load() is None
    assert session_file.remove() is True and session_file.remove() is False
