"""ScriptedJob: every operation drives the producer library; the tree it leaves is the one expected."""

import json
import threading
import time
import uuid

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents, wait_until, walk
from taskprogress.jobs import InvalidJobData, JobContext, LongJobEvent, ScriptFailed, builtin_registry, execute_job
from taskprogress.jobs.script_format import MAX_DEPTH, parse_script

SCRIPTED = builtin_registry().get("ScriptedJob")


def run_script(store, tmp_path, script, **extra):
    context = JobContext(uuid.uuid4().hex, new_api_id(), {"script": script, **extra}, tmp_path)
    return context.api_id, execute_job(SCRIPTED, context, store)


def shape(forest):
    """(type, content, arguments) of each node, children nested: the tree without ids and times."""
    return [
        (n["type"], n["content"], n.get("arguments"), shape(n["subTasks"]))
        if "subTasks" in n
        else (n["type"], n["content"], n.get("arguments"))
        for n in forest
    ]


def test_steps_subtasks_stages_and_progress_make_ZStacks_tree(store, tmp_path):
    script = [
        {"step": "Choose backup storage for downloading the image"},
        {
            "subtask": "create a volume[%s] on the local storage",
            "args": ["Root"],
            "totalSteps": 2,
            "script": [
                {"step": "Download the image[%s] to the image cache", "args": ["ttylinux"]},
                {"stage": [10, 50], "script": [{"stage": [0, 90], "script": [{"progress": 50, "detail": {"x": 1}}]}]},
            ],
        },
        {"progress": 95},
    ]
    api_id, outcome = run_script(store, tmp_path, script)
    assert outcome.event is LongJobEvent.succeed and outcome.result == {"operations": 7}
    forest = store.get_task_progress(api_id, all=True)
    assert shape(forest) == [
        ("Task", "Choose backup storage for downloading the image", "[]"),
        (
            "Task",
            "create a volume[%s] on the local storage",
            '["Root"]',
            [("Task", "Download the image[%s] to the image cache", '["ttylinux"]'), ("Progress", "28", "[]")],
        ),
        ("Progress", "95", "[]"),
        ("Progress", "100", "[]"),
    ]
    subtask = forest[1]
    download, progress = subtask["subTasks"]
    assert download["taskName"] == "create a volume[%s] on the local storage"
    assert download["totalSteps"] == 2 and download["currentStep"] == 1
    assert progress["opaque"] == {"x": 1}
    assert forest[0]["taskName"] == SCRIPTED.task_name == "class taskprogress.jobs.scripted.run_script"


def test_parallel_branches_add_up(store, tmp_path):
    script = [
        {
            "stage": [0, 90],
            "script": [
                {
                    "parallel": [2, 3, 4],
                    "scripts": [
                        [{"progress": 50}, {"sleep": 0.02}, {"progress": 100}],
                        [{"step": "in branch %s", "args": [2]}, {"progress": 100}],
                        [{"progress": 25}, {"progress": 75}, {"sleep": 0.01}, {"progress": 100}],
                    ],
                }
            ],
        },
        {"progress": 100},
    ]
    api_id, outcome = run_script(store, tmp_path, script)
    assert outcome.event is LongJobEvent.succeed
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert contents == sorted(contents)  # every interleaving only moves forward
    assert 90 in contents and contents[-2:] == [100, 100]  # the three shares add up to the stage's 90
    assert {n["content"] for n in walk(store.get_task_progress(api_id, all=True))} >= {"in branch %s"}


def test_nested_parallel_branches_add_up(store, tmp_path):
    script = [
        {
            "parallel": [1, 1],
            "scripts": [
                [{"parallel": [1, 1], "scripts": [[{"progress": 100}], [{"progress": 50}]]}],
                [{"progress": 50}],
            ],
        }
    ]
    api_id, _ = run_script(store, tmp_path, script)
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert contents[:-1][-1] == 62 and contents[-1] == 100  # 25 + 12.5 + 25, then the job's final 100


def test_a_failing_branch_stops_its_siblings_and_fails_the_job(store, tmp_path):
    script = [{"parallel": [1, 1], "scripts": [[{"sleep": 3600}], [{"progress": 10}, {"fail": "disk %s is full"}]]}]
    started = time.monotonic()
    _, outcome = run_script(store, tmp_path, script)
    assert time.monotonic() - started < 5  # the hour-long sibling did not run out its sleep
    assert outcome.event is LongJobEvent.fail
    assert isinstance(outcome.error, ScriptFailed) and str(outcome.error) == "disk %s is full"


def test_until_ticks_to_its_bound_and_waits(store, tmp_path):
    api_id, outcome = run_script(store, tmp_path, [{"progress": 5}, {"until": 10, "interval": 0.01}, {"step": "after"}])
    assert outcome.event is LongJobEvent.succeed
    assert progress_contents(store, api_id) == ["5", "6", "7", "8", "9", "10", "10", "100"]
    assert store.get_task_progress(api_id, all=True)[-2]["content"] == "after"  # the wait came first


def test_until_inside_a_parallel_branch_ticks_its_share(store, tmp_path):
    script = [{"parallel": [1, 1], "scripts": [[{"until": 10, "interval": 0.01}], [{"progress": 100}]]}]
    api_id, outcome = run_script(store, tmp_path, script)
    assert outcome.event is LongJobEvent.succeed
    contents = [int(c) for c in progress_contents(store, api_id)]
    assert contents == sorted(contents) and contents[-2] == 55  # the second half, plus 10 % of the first


def test_fail_fails_the_job_with_the_message(store, tmp_path):
    api_id, outcome = run_script(store, tmp_path, [{"step": "before"}, {"fail": "the host is unreachable"}])
    assert outcome.event is LongJobEvent.fail
    assert outcome.result_json == "the host is unreachable"
    assert outcome.error.error_code.code == ScriptFailed.error_code.code
    assert [n["content"] for n in store.get_task_progress(api_id, all=True)] == ["before"]


def test_the_result_can_be_given(store, tmp_path):
    _, outcome = run_script(store, tmp_path, [], result={"vm": "created"})
    assert json.loads(outcome.result_json) == {"vm": "created"}


@pytest.mark.parametrize("interruption", [tp.Canceled, tp.Suspended])
def test_a_sleeping_script_is_interrupted_within_a_second(store, tmp_path, interruption):
    runs, outcomes = [], []
    context = JobContext(
        uuid.uuid4().hex,
        new_api_id(),
        {"script": [{"progress": 10}, {"parallel": [1, 1], "scripts": [[{"sleep": 3600}], [{"sleep": 3600}]]}]},
        tmp_path,
    )
    worker = threading.Thread(
        target=lambda: outcomes.append(execute_job(SCRIPTED, context, store, on_start=runs.append))
    )
    worker.start()
    wait_until(lambda: progress_contents(store, context.api_id))  # the job is in its sleeps
    asked = time.monotonic()
    runs[0].interrupt(interruption)
    worker.join(10)
    assert time.monotonic() - asked < 1
    [outcome] = outcomes
    assert isinstance(outcome.error, interruption)
    assert outcome.event is (LongJobEvent.canceled if interruption is tp.Canceled else LongJobEvent.suspend)


def test_a_resumed_script_runs_again_from_the_start(store, tmp_path):
    context = JobContext(uuid.uuid4().hex, new_api_id(), {"script": [{"step": "only step"}]}, tmp_path)
    execute_job(SCRIPTED, context, store)
    resumed = JobContext(context.job_uuid, context.api_id, context.job_data, tmp_path, resumed=True)
    assert execute_job(SCRIPTED, resumed, store).event is LongJobEvent.succeed
    contents = [n["content"] for n in store.get_task_progress(context.api_id, all=True)]
    assert contents == ["only step", "100", "only step", "100"]


BAD_SCRIPTS = [
    ("not a list", "script: a script is a list of operations, got a string"),
    ([{"foo": 1}], 'script[0]: unknown operation "foo"'),
    ([{"step": "a"}, {"step": "b", "sleep": 1}], "script[1]: an operation has exactly one of"),
    ([{}], "script[0]: an operation has exactly one of step, subtask, progress, stage, parallel, until, sleep, fail"),
    ([{"step": "a", "colour": "red"}], 'script[0]: unknown key "colour" in a step operation'),
    ([42], "script[0]: an operation is a JSON object, got a number"),
    ([{"step": 42}], "script[0].step: a string, got a number"),
    ([{"step": "x" * 1025}], "script[0].step: at most 1024 characters"),
    ([{"step": "%s", "args": "a"}], "script[0].args: a list, got a string"),
    ([{"step": "%s", "args": ["x" * 70000]}], "script[0].args: at most 65536 bytes of JSON"),
    ([{"subtask": "s", "totalSteps": -1}], "script[0].totalSteps: an integer >= 0"),
    ([{"subtask": "s", "totalSteps": True}], "script[0].totalSteps: an integer >= 0"),
    ([{"subtask": "s", "script": [{"nope": 1}]}], 'script[0].script[0]: unknown operation "nope"'),
    ([{"progress": 101}], "script[0].progress: a percent within 0-100, got 101"),
    ([{"progress": "50"}], "script[0].progress: a percent within 0-100, got '50'"),
    ([{"progress": True}], "script[0].progress: a percent within 0-100, got True"),
    ([{"progress": 5, "detail": [1]}], "script[0].detail: a JSON object, got a list"),
    ([{"stage": [50, 10]}], "script[0].stage: start must not exceed end"),
    ([{"stage": [0]}], "script[0].stage: [start, end]"),
    ([{"stage": [0, 200]}], "script[0].stage[1]: a percent within 0-100"),
    ([{"parallel": [1, 1], "scripts": [[]]}], "script[0].scripts: one script per weight (2)"),
    ([{"parallel": [], "scripts": []}], "script[0].parallel: a list of 1 to 16 weights"),
    ([{"parallel": [1, -1], "scripts": [[], []]}], "script[0].parallel[1]: a weight is a finite number >= 0"),
    ([{"parallel": [1] * 17, "scripts": [[]] * 17}], "script[0].parallel: a list of 1 to 16 weights"),
    (
        [{"parallel": [1, 1], "scripts": [[{"step": "ok"}], [{"step": "ok"}, {"foo": 1}]]}],
        'script[0].scripts[1][1]: unknown operation "foo"',
    ),
    ([{"until": 50}], "script[0].interval: seconds within 0.01-60.0, got None"),
    ([{"until": 50, "interval": 0}], "script[0].interval: seconds within 0.01-60.0, got 0"),
    ([{"until": 150, "interval": 1}], "script[0].until: a percent within 0-100"),
    ([{"sleep": -1}], "script[0].sleep: seconds within 0-3600, got -1"),
    ([{"sleep": 3601}], "script[0].sleep: seconds within 0-3600"),
    ([{"fail": None}], "script[0].fail: a string, got null"),
    ([{"step": "a"}] * 10_001, "script[10000]: a script has at most 10000 operations"),
]


@pytest.mark.parametrize(("script", "message"), BAD_SCRIPTS)
def test_a_bad_script_is_refused_with_the_path_of_the_operation(script, message):
    with pytest.raises(InvalidJobData) as raised:
        SCRIPTED.check_data({"script": script})
    assert str(raised.value).startswith(message)
    assert raised.value.error_code.code == "SYS.1007"


def test_nesting_and_branch_limits():
    nested: list = [{"step": "deepest"}]
    for _ in range(MAX_DEPTH):
        nested = [{"stage": [0, 100], "script": nested}]
    with pytest.raises(InvalidJobData, match=f"scripts nest at most {MAX_DEPTH} deep"):
        parse_script(nested)
    parse_script(nested[0]["script"])  # one level less is fine
    wide = [{"parallel": [1] * 16, "scripts": [[{"parallel": [1] * 4, "scripts": [[]] * 4}]] * 16}]
    with pytest.raises(InvalidJobData, match="at most 64 parallel branches in all"):
        parse_script(wide)


@pytest.mark.parametrize(
    ("job_data", "message"),
    [
        ({}, "jobData.script is required"),
        ({"script": [], "extra": 1}, 'jobData: unknown key "extra"'),
        ({"script": [], "result": [1]}, "jobData.result: a JSON object"),
    ],
)
def test_bad_job_data(job_data, message):
    with pytest.raises(InvalidJobData, match=message):
        SCRIPTED.check_data(job_data)


def test_a_bad_script_fails_the_job_before_anything_runs(store, tmp_path):
    api_id, outcome = run_script(store, tmp_path, [{"step": "never written"}, {"sleep": "long"}])
    assert outcome.event is LongJobEvent.fail and isinstance(outcome.error, InvalidJobData)
    assert store.get_task_progress(api_id, all=True) == []
