"""Building GetTaskProgress trees from records (pure)."""

from taskprogress.core.inventory import build_forest, to_inventory


def row(seq, task_uuid, parent_uuid=None, type_="Task", content="c", **extra):
    return {
        "seq": seq,
        "task_uuid": task_uuid,
        "parent_uuid": parent_uuid,
        "task_name": "T",
        "type": type_,
        "content": content,
        "arguments": "[]",
        "opaque": None,
        "current_step": None,
        "total_steps": None,
        "time": 1700000000000,
        **extra,
    }


def test_null_fields_are_left_out_and_time_is_an_int():
    inv = to_inventory(row(1, "a", time=1.7e12))
    assert inv == {
        "taskUuid": "a",
        "taskName": "T",
        "type": "Task",
        "content": "c",
        "arguments": "[]",
        "time": 1700000000000,
    }
    assert isinstance(inv["time"], int)


def test_opaque_is_served_as_an_object():
    assert to_inventory(row(1, "a", opaque='{"remain": 10}'))["opaque"] == {"remain": 10}


def test_forest_keeps_insertion_order_and_nests_children():
    forest = build_forest([row(1, "a"), row(2, "b"), row(3, "c", "a"), row(4, "d", "b"), row(5, "e", "a")])
    assert [n["taskUuid"] for n in forest] == ["a", "b"]
    assert [n["taskUuid"] for n in forest[0]["subTasks"]] == ["c", "e"]
    assert "subTasks" not in forest[0]["subTasks"][0]


def test_orphans_are_served_as_roots():
    forest = build_forest([row(2, "c", "gone"), row(3, "d", "c")])
    assert [n["taskUuid"] for n in forest] == ["c"]
    assert forest[0]["parentUuid"] == "gone"
    assert forest[0]["subTasks"][0]["taskUuid"] == "d"


def test_a_cycle_cannot_hide_records():
    # x says its parent is y and y says its parent is x: the older one becomes a root.
    forest = build_forest([row(1, "x", "y"), row(2, "y", "x")])
    assert [n["taskUuid"] for n in forest] == ["x"]
    assert forest[0]["subTasks"][0]["taskUuid"] == "y"
