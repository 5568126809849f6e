"""Every ScriptedJob operation driven over HTTP, its tree compared with the expected one (SQLite, PostgreSQL)."""

from __future__ import annotations

import json

from helpers import wait_until
from longjobs import progress, script_data, submitted, wait_state
from zstack import ZStack

EVERY_OPERATION = script_data(
    {"step": "prepare %s", "args": ["disk"]},
    {
        "subtask": "copy[%s]",
        "args": ["volume"],
        "totalSteps": 2,
        "script": [
            {"step": "read"},
            {"stage": [0, 50], "script": [{"stage": [50, 100], "script": [{"progress": 50, "detail": {"b": 1}}]}]},
            {"step": "write"},
        ],
    },
    {
        "stage": [50, 90],
        "script": [
            {
                "parallel": [1, 3],
                "scripts": [
                    [{"progress": 100}],
                    [{"progress": 50}, {"sleep": 0.05}, {"progress": 100}],
                ],
            }
        ],
    },
    {"until": 95, "interval": 0.02},
)


def contents(nodes):
    return [(n["type"], n["content"]) for n in nodes]


def test_every_operation_lands_where_the_primitives_put_it(zs: ZStack):
    admin = zs.admin()
    inventory = submitted(zs, admin, "ScriptedJob", EVERY_OPERATION)
    done = wait_state(zs, admin, inventory["uuid"], "Succeeded")
    assert json.loads(done["jobResult"]) == {"operations": 14}
    tree = progress(zs, admin, inventory["apiId"], all=True)

    prepare, copy, *percents = tree
    assert (prepare["content"], prepare["arguments"], prepare["currentStep"]) == ("prepare %s", '["disk"]', 1)
    assert (copy["content"], copy["arguments"], copy["currentStep"]) == ("copy[%s]", '["volume"]', 2)
    # Inside the sub-task: its steps numbered 1 and 2 of the declared 2; the nested stages 0-50 then 50-100 put
    # a local 50 at 37 (0-50 -> 25-50 -> 37.5, served as the floor).
    read, pct, write = copy["subTasks"]
    assert [(n["content"], n.get("currentStep"), n.get("totalSteps")) for n in (read, write)] == [
        ("read", 1, 2),
        ("write", 2, 2),
    ]
    assert (pct["content"], pct["opaque"], pct["parentUuid"]) == ("37", {"b": 1}, copy["taskUuid"])

    values = [int(n["content"]) for n in percents]
    assert values == sorted(values)  # branches interleave, the served percent only rises
    # Stage 50-90 split 1:3 gives 50-60 and 60-90; both branches at 100 % make 90; then until 95 ticks 91..95,
    # repeats 95 once, and the job's final 100.
    assert values[-8:] == [90, 91, 92, 93, 94, 95, 95, 100]
    assert 90 in values and all(v >= 37 for v in values)


def test_progress_is_visible_while_the_job_runs(zs: ZStack):
    admin = zs.admin()
    script = script_data({"step": "slowly"}, {"until": 60, "interval": 0.05}, {"sleep": 30})
    inventory = submitted(zs, admin, "ScriptedJob", script)
    seen: list[int] = []

    def reached_60() -> bool:
        newest = progress(zs, admin, inventory["apiId"])
        if newest and newest[-1]["type"] == "Progress":
            seen.append(int(newest[-1]["content"]))
        return bool(seen) and seen[-1] >= 60

    wait_until(reached_60, timeout=15, interval=0.05)
    assert seen[-1] == 60 and seen == sorted(seen) and len(set(seen)) > 3  # watched it rise, never fall
    zs.http.put(
        f"/longjobs/{inventory['uuid']}/actions",
        json={"cancelLongJob": {}},
        headers={"Authorization": f"OAuth {admin}"},
    )
    wait_state(zs, admin, inventory["uuid"], "Canceled")


def test_fail_ends_the_job_failed_with_its_message(zs: ZStack):
    admin = zs.admin()
    inventory = submitted(zs, admin, "ScriptedJob", script_data({"step": "try"}, {"fail": "the disk is full"}))
    failed = wait_state(zs, admin, inventory["uuid"], "Failed")
    assert "the disk is full" in failed["jobResult"]
    assert [n["content"] for n in progress(zs, admin, inventory["apiId"], all=True)] == ["try"]
