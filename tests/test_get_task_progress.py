"""GetTaskProgress semantics, on SQLite and PostgreSQL (the spec's scenarios, numbered as there)."""

import json

import pytest

import taskprogress as tp
from helpers import new_api_id, progress_contents, walk

VM_API = "org.zstack.header.vm.APICreateVmInstanceMsg"
VOLUME = "create a volume[%s] on the local storage"


def test_unknown_api_gives_an_empty_list(store):  # 1
    api_id = new_api_id()
    assert store.get_task_progress(api_id) == []
    assert store.get_task_progress(api_id, all=True) == []


@pytest.mark.parametrize("bad", ["not-a-uuid", "A" * 32, "6f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b", "", "0" * 31])
def test_a_malformed_api_id_is_SYS_1007(store, bad):  # 2
    with pytest.raises(tp.InvalidArgument) as raised:
        store.get_task_progress(bad)
    assert raised.value.error_code.code == "SYS.1007"
    assert str(raised.value) == f"parameter apiId[{bad}] is not a valid uuid."


def test_root_reports_each_come_back_alone_then_all_in_order(store):  # 3, 4
    api_id = new_api_id()
    with tp.api(api_id, "org.zstack.header.image.APIAddImageMsg", sink=store):
        for percent in (20, 40, 60, 80, 100):
            tp.report(percent)
            tp.flush()
            [item] = store.get_task_progress(api_id)
            assert item["type"] == "Progress"
            assert item["content"] == str(percent)
            assert "parentUuid" not in item
    forest = store.get_task_progress(api_id, all=True)
    assert [n["content"] for n in forest] == ["20", "40", "60", "80", "100"]
    assert len({n["taskUuid"] for n in forest}) == 5
    assert all("subTasks" not in n for n in forest)


def test_vm_creation_example(store):  # 5, 6, 7
    api_id = new_api_id()
    with tp.api(api_id, VM_API, sink=store):
        tp.step("Choose backup storage for downloading the image")
        tp.step("allocate candidate hosts")
        with tp.subtask(VOLUME, "Root"):
            tp.step("Download the image[%s] to the image cache", "ttylinux")
            for percent in range(6):
                tp.report(percent)
                tp.flush()
                task, progress = store.get_task_progress(api_id)
                assert task["type"] == "Task" and "parentUuid" not in task
                assert task["taskName"] == VM_API
                assert task["content"] == VOLUME
                assert task["arguments"] == '["Root"]'
                assert progress["type"] == "Progress"
                assert progress["content"] == str(percent)
                assert progress["parentUuid"] == task["taskUuid"]
                assert json.loads(progress["arguments"]) == []
        with tp.subtask("create a virtual router vm"):
            with tp.subtask(VOLUME, "VR Root"):
                tp.report(50)
                tp.flush()
                vr, volume, progress = store.get_task_progress(api_id)
                assert vr["content"] == "create a virtual router vm" and "parentUuid" not in vr
                assert volume["parentUuid"] == vr["taskUuid"]
                assert progress["parentUuid"] == volume["taskUuid"]
                assert progress["taskName"] == VOLUME

    forest = store.get_task_progress(api_id, all=True)
    assert [n["content"] for n in forest] == [
        "Choose backup storage for downloading the image",
        "allocate candidate hosts",
        VOLUME,
        "create a virtual router vm",
    ]
    volume = forest[2]
    assert [c["type"] for c in volume["subTasks"]] == ["Task"] + ["Progress"] * 6
    assert all(c["parentUuid"] == volume["taskUuid"] and c["taskName"] == VOLUME for c in volume["subTasks"])
    assert all("subTasks" not in c for c in volume["subTasks"])
    vr = forest[3]
    assert vr["subTasks"][0]["content"] == VOLUME
    assert vr["subTasks"][0]["subTasks"][0]["content"] == "50"
    times = [n["time"] for n in walk(forest)]
    assert all(isinstance(t, int) for t in times)


def test_sibling_subtasks_are_siblings_not_nested(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with tp.subtask("first"):
            tp.step("inside first")
        with tp.subtask("second"):
            tp.step("inside second")
    forest = store.get_task_progress(api_id, all=True)
    assert [n["content"] for n in forest] == ["first", "second"]
    assert [c["content"] for c in forest[1]["subTasks"]] == ["inside second"]


def test_newest_record_being_a_root_task_comes_back_alone(store):  # 22
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.step("X")
        tp.report(10)
        tp.step("Y")
    [item] = store.get_task_progress(api_id)
    assert item["content"] == "Y" and item["type"] == "Task"


def test_detail_becomes_opaque(store):  # 8
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.report(30)
        tp.flush()
        assert "opaque" not in store.get_task_progress(api_id)[-1]
        tp.report(37, detail={"remain": 10, "total": 100})
    assert store.get_task_progress(api_id)[-1]["opaque"] == {"remain": 10, "total": 100}


def test_percent_never_goes_backwards_but_the_raw_value_is_kept(store):  # 26
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.report(50)
        tp.report(40)
    assert store.get_task_progress(api_id)[-1]["content"] == "50"
    assert progress_contents(store, api_id) == ["50", "50"]
    with store.connect() as conn:
        raws = [
            r[0]
            for r in conn.exec_driver_sql(
                f"SELECT raw_percent FROM task_progress WHERE api_id = '{api_id}' ORDER BY seq"
            )
        ]
    assert raws == [50.0, 40.0]


def test_ties_in_time_are_broken_by_insertion_order(store):  # 27
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        for i in range(50):  # well within one millisecond for many of them
            tp.step("step %s", i)
    forest = store.get_task_progress(api_id, all=True)
    assert [json.loads(n["arguments"])[0] for n in forest] == list(range(50))
    assert store.get_task_progress(api_id)[0]["arguments"] == "[49]"


def test_an_orphan_is_served_as_a_root(store):  # 28
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with tp.subtask("outer"):
            with tp.subtask("inner"):
                tp.report(10)
    with store.connect(write=True) as conn:
        conn.exec_driver_sql(f"DELETE FROM task_progress WHERE api_id = '{api_id}' AND content = 'outer'")
    inner, progress = store.get_task_progress(api_id)
    assert inner["content"] == "inner" and progress["content"] == "10"
    forest = store.get_task_progress(api_id, all=True)
    assert [n["content"] for n in forest] == ["inner"]
    assert forest[0]["subTasks"][0]["content"] == "10"


def test_steps_are_numbered_and_totals_declared(store):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store, total_steps=3):
        tp.step("a")
        with tp.subtask("b", total_steps=2):
            tp.step("b1")
            tp.report(10)
            tp.step("b2")
        tp.step("c")
    a, b, c = store.get_task_progress(api_id, all=True)
    assert (a["currentStep"], b["currentStep"], c["currentStep"]) == (1, 2, 3)
    assert {a["totalSteps"], b["totalSteps"], c["totalSteps"]} == {3}
    b1, pct, b2 = b["subTasks"]
    assert (b1["currentStep"], b1["totalSteps"], b2["currentStep"], b2["totalSteps"]) == (1, 2, 2, 2)
    assert "currentStep" not in pct and "totalSteps" not in pct


def test_undeclared_totals_come_from_the_last_finished_run(store):
    def run(api_id, steps):
        with tp.api(api_id, "org.zstack.SomeApi", sink=store):
            for i in range(steps):
                tp.step("s%s", i)
            with tp.subtask("group"):
                tp.step("g1")
                tp.step("g2")

    first = new_api_id()
    run(first, 3)
    assert all("totalSteps" not in n for n in walk(store.get_task_progress(first, all=True)))
    second = new_api_id()
    run(second, 5)
    forest = store.get_task_progress(second, all=True)
    # 3 steps + the sub-task, learned from the first run; the two steps beyond that guess get no total
    assert [n.get("totalSteps") for n in forest] == [4, 4, 4, 4, None, None]
    assert [n["totalSteps"] for n in forest[-1]["subTasks"]] == [2, 2]


def test_a_learned_total_this_run_outgrows_is_dropped(store):
    def run(api_id, steps):
        with tp.api(api_id, "org.zstack.Growing", sink=store):
            for i in range(steps):
                tp.step("s%s", i)

    run(new_api_id(), 2)
    second = new_api_id()
    run(second, 4)
    forest = store.get_task_progress(second, all=True)
    assert [(n["currentStep"], n.get("totalSteps")) for n in forest] == [(1, 2), (2, 2), (3, None), (4, None)]


def test_a_failed_run_teaches_nothing(store):
    first = new_api_id()
    with pytest.raises(RuntimeError), tp.api(first, "org.zstack.Flaky", sink=store):
        tp.step("only one")
        raise RuntimeError("boom")
    second = new_api_id()
    with tp.api(second, "org.zstack.Flaky", sink=store):
        tp.step("s")
    assert "totalSteps" not in store.get_task_progress(second)[0]


def test_progress_on_false_makes_reporting_a_no_op(store):  # 9
    store.update_config("progress", "on", "false")
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.step("x")
        with tp.subtask("y"), tp.stage(0, 50):
            tp.report(10)
            [sub] = tp.parallel([1])
            with sub:
                tp.report(50)
    assert store.get_task_progress(api_id) == []
    store.update_config("progress", "on", "True")
    with tp.api(api_id, "T", sink=store):
        tp.report(10)
    assert store.get_task_progress(api_id)[0]["content"] == "10"


def test_reporting_outside_an_api_does_nothing(store):
    tp.step("nobody listens")
    tp.report(50)
    with tp.subtask("x"), tp.stage(10, 20):
        [a, _b] = tp.parallel([1, 1])
        with a:
            tp.report(10)


@pytest.mark.parametrize(
    "call",
    [
        lambda: tp.report(101),
        lambda: tp.report(-1),
        lambda: tp.report(float("nan")),
        lambda: tp.report("50"),
        lambda: tp.report(10, detail=[1, 2]),
    ],
)
def test_bad_reports_raise_and_write_nothing(store, call):
    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        with pytest.raises(tp.InvalidArgument):
            call()
    assert store.get_task_progress(api_id, all=True) == []


def test_api_refuses_a_malformed_id(store):
    with pytest.raises(tp.InvalidArgument), tp.api("xyz", "T", sink=store):
        pass


def test_time_never_runs_backwards_within_an_api(store):
    from taskprogress.reporting.context import current_scope
    from taskprogress.reporting.producer import _progress_record

    api_id = new_api_id()
    with tp.api(api_id, "T", sink=store):
        tp.report(10)
        late = _progress_record(current_scope.get(), 20)
        late.time -= 60_000  # a producer whose clock stepped back a minute
        store.submit(late)
    first, second = store.get_task_progress(api_id, all=True)
    assert second["content"] == "20" and second["time"] >= first["time"]
