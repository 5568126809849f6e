"""Job types, the registry, the taskprogress.jobs entry points and execute_job, against a real store."""

import json
import textwrap
import threading
import uuid

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents
from taskprogress.jobs import (
    ENTRY_POINT_GROUP,
    InvalidJobData,
    JobContext,
    JobRegistry,
    JobType,
    JobTypeError,
    LongJobEvent,
    UnknownJobType,
    builtin_registry,
    execute_job,
    parse_job_data,
)


def _context(tmp_path, job_data=None, api_id=None):
    return JobContext(uuid.uuid4().hex, api_id or new_api_id(), job_data or {}, tmp_path)


def count_to_three(context):
    for i in range(1, 4):
        tp.step("count %s", i)
    return {"counted": 3, "data": dict(context.job_data)}


def test_the_built_ins_are_registered():
    registry = builtin_registry()
    assert registry.names() == ["APIAddImageMsg", "ScriptedJob"]
    assert [t.name for t in registry] == registry.names() and len(registry) == 2
    add_image = registry.get("APIAddImageMsg")
    assert add_image.supports_cancel and add_image.supports_suspend
    assert add_image.task_name == "class org.zstack.image.AddImageLongJob"
    assert builtin_registry() is not registry  # a fresh one each time


def test_an_unknown_job_name_is_ZStacks_error():
    with pytest.raises(UnknownJobType) as raised:
        builtin_registry().get("NoSuchApiMessage")
    assert str(raised.value) == "NoSuchApiMessage is not an API"
    assert raised.value.error_code.code == "SYS.1007"
    assert "NoSuchApiMessage" not in builtin_registry()


def test_registering_twice_is_refused_unless_replacing():
    registry = JobRegistry([JobType("Count", count_to_three)])
    with pytest.raises(JobTypeError, match="already registered"):
        registry.register(JobType("Count", count_to_three))
    replacement = JobType("Count", count_to_three, supports_cancel=False)
    registry.register(replacement, replace=True)
    assert registry.get("Count") is replacement


@pytest.mark.parametrize("name", ["", "has space", "1starts-with-digit", "x" * 256, None])
def test_a_job_name_must_be_an_identifier(name):
    with pytest.raises(JobTypeError, match="job name"):
        JobType(name, count_to_three)


def test_a_job_type_needs_a_callable_and_gets_a_java_like_task_name():
    with pytest.raises(JobTypeError, match="callable"):
        JobType("Broken", "not callable")
    assert JobType("Count", count_to_three).task_name == "class test_jobs_registry.count_to_three"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not valid JSON"),
        ("[1, 2]", "must be a JSON object, got list"),
        ('"text"', "must be a JSON object, got str"),
        (42, "must be a JSON string"),
    ],
)
def test_job_data_must_be_a_json_object(text, message):
    with pytest.raises(InvalidJobData, match=message) as raised:
        parse_job_data(text)
    assert raised.value.error_code.code == "SYS.1007"


def test_job_data_parses():
    assert parse_job_data('{"name": "ttylinux"}') == {"name": "ttylinux"}
    assert parse_job_data(None) == {} and parse_job_data("") == {}
    assert parse_job_data({"a": 1}) == {"a": 1}


def _install_distribution(tmp_path, monkeypatch, module_source, entry_points):
    """A real installed distribution: a module and a *.dist-info folder with entry_points.txt on sys.path."""
    module = f"plugin_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(module_source))
    dist_info = tmp_path / f"{module}-1.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    lines = "\n".join(f"{name} = {module}:{target}" for name, target in entry_points.items())
    (dist_info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{lines}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    return module


PLUGIN = """
    import taskprogress
    from taskprogress.jobs import JobType

    def backup(context):
        taskprogress.step("back up the database[%s]", context.job_data.get("db"))
        return {"backedUp": True}

    def _restore(context):
        return {"restored": True}

    RESTORE = JobType("APIRestoreDatabaseMsg", _restore, supports_suspend=True)
    NOT_A_JOB = 42
    WRONG_NAME = JobType("SomethingElse", _restore)
"""


def test_entry_points_add_job_types(tmp_path, monkeypatch, store):
    _install_distribution(
        tmp_path, monkeypatch, PLUGIN, {"APIBackupDatabaseMsg": "backup", "APIRestoreDatabaseMsg": "RESTORE"}
    )
    registry = builtin_registry()
    assert registry.load_entry_points() == ["APIBackupDatabaseMsg", "APIRestoreDatabaseMsg"]
    assert registry.names() == ["APIAddImageMsg", "APIBackupDatabaseMsg", "APIRestoreDatabaseMsg", "ScriptedJob"]
    assert registry.get("APIRestoreDatabaseMsg").supports_suspend
    backup = registry.get("APIBackupDatabaseMsg")
    assert backup.supports_cancel and not backup.supports_suspend
    context = _context(tmp_path, {"db": "zstack"})
    outcome = execute_job(backup, context, store)
    assert outcome.event is LongJobEvent.succeed and outcome.result == {"backedUp": True}
    [step, final] = store.get_task_progress(context.api_id, all=True)
    assert (step["content"], step["arguments"]) == ("back up the database[%s]", '["zstack"]')
    assert final["content"] == "100"


@pytest.mark.parametrize(
    ("entry_points", "message"),
    [
        ({"Broken": "NOT_A_JOB"}, "neither a JobType nor a callable but int"),
        ({"Renamed": "WRONG_NAME"}, "named Renamed but its job type SomethingElse"),
        ({"Missing": "no_such_attribute"}, "cannot be loaded: AttributeError"),
        ({"ScriptedJob": "backup"}, "ScriptedJob is already registered"),
    ],
)
def test_a_broken_entry_point_is_a_clear_error(tmp_path, monkeypatch, entry_points, message):
    _install_distribution(tmp_path, monkeypatch, PLUGIN, entry_points)
    with pytest.raises(JobTypeError, match=message) as raised:
        builtin_registry().load_entry_points()
    assert next(iter(entry_points)) in str(raised.value)


def test_execute_job_succeeds_with_a_final_100(store, tmp_path):
    context = _context(tmp_path, {"x": 1})
    outcome = execute_job(JobType("Count", count_to_three), context, store)
    assert outcome.event is LongJobEvent.succeed
    assert json.loads(outcome.result_json) == {"counted": 3, "data": {"x": 1}}
    forest = store.get_task_progress(context.api_id, all=True)
    assert [n["content"] for n in forest] == ["count %s"] * 3 + ["100"]
    assert {n["taskName"] for n in forest} == {"class test_jobs_registry.count_to_three"}
    assert store.api_summary(context.api_id)["finished"] is False  # the runner finishes it, not the job


@pytest.mark.parametrize(
    ("job", "event", "message"),
    [
        (lambda _c: (_ for _ in ()).throw(tp.Suspended("node going down")), LongJobEvent.suspend, "node going"),
        (lambda _c: (_ for _ in ()).throw(tp.Canceled()), LongJobEvent.canceled, "canceled"),
        (lambda _c: 1 / 0, LongJobEvent.fail, "division by zero"),
        (lambda _c: ["not", "a", "dict"], LongJobEvent.fail, "returned list, not a dict"),
        (lambda _c: {"when": object()}, LongJobEvent.fail, "not JSON"),
    ],
)
def test_execute_job_turns_endings_into_events(store, tmp_path, job, event, message):
    context = _context(tmp_path)
    outcome = execute_job(JobType("Ending", job), context, store)
    assert outcome.event is event and outcome.result is None
    assert message in outcome.result_json
    assert progress_contents(store, context.api_id) == []  # nothing written on failure, as ZStack


def test_execute_job_hands_out_the_run_to_cancel_it(store, tmp_path):
    runs, started = [], threading.Event()

    def wait_for_cancel(_context):
        started.set()
        while True:
            tp.report(10)

    context = _context(tmp_path)
    worker_outcome = []
    worker = threading.Thread(
        target=lambda: worker_outcome.append(
            execute_job(JobType("Loop", wait_for_cancel), context, store, on_start=runs.append)
        )
    )
    worker.start()
    assert started.wait(10)
    runs[0].interrupt(tp.Canceled)
    worker.join(10)
    [outcome] = worker_outcome
    assert outcome.event is LongJobEvent.canceled
    assert outcome.error.error_code.code == "LONG_JOB.1000"
    assert progress_contents(store, context.api_id)[0] == "10"


def test_execute_job_does_not_start_a_job_canceled_before_it_began(store, tmp_path):
    called = []
    context = _context(tmp_path)
    outcome = execute_job(
        JobType("Never", called.append), context, store, on_start=lambda run: run.interrupt(tp.Canceled)
    )
    assert outcome.event is LongJobEvent.canceled and called == []
