"""Agent reports without a server: where ZStack's ProgressReportCmd lands (spec §2.4, §4.7), what is refused, and
who may post (networks, token)."""

from __future__ import annotations

import itertools
import json

import pytest

from taskprogress.core.agent_access import LOOPBACK, AgentAccess, check_token, parse_networks
from taskprogress.core.agent_reports import (
    BATCH_PATH,
    MAX_BATCH_BYTES,
    MAX_BATCH_REPORTS,
    MAX_REPORT_BYTES,
    REPORT_PATH,
    UNNAMED_TASK,
    InvalidReport,
    UnknownCommand,
    decode_command,
    max_body_bytes,
    parse_batch,
    parse_report,
)
from taskprogress.errors import InvalidArgument

API = "0123456789abcdef0123456789abcdef"
T, U, T3, U3 = "a" * 32, "b" * 32, "c" * 32, "d" * 32
TOKEN = "agent-token-0123456789"


def fresh_ids():
    counter = itertools.count()
    return lambda: f"fresh{next(counter):027d}"


def cmd(progress="20", *, stack=None, api=API, name="T", stage=None, detail=None, **extra) -> dict:
    """The spec's R(A, p, stack, name, stage, detail), as an agent's ProgressReportCmd."""
    context = {} if api is None else {"api": api}
    if name is not None:
        context["task-name"] = name
    if stage is not None:
        context["task-stage"] = stage
    body = {"threadContextMap": context, "threadContextStack": stack or [], "progress": progress, **extra}
    if detail is not None:
        body["detail"] = detail
    return body


# -- placement (§2.4) ------------------------------------------------------------------------------------


def test_an_empty_stack_is_a_root_with_a_fresh_task_uuid_per_report():  # scenarios 3 and 4
    new_id = fresh_ids()
    first, second = parse_report(cmd("20"), new_id=new_id), parse_report(cmd("40", stack=[]), new_id=new_id)
    assert (first.task_uuid, first.parent_uuid) == ("fresh" + "0" * 27, None)
    assert second.task_uuid != first.task_uuid and second.parent_uuid is None
    assert (first.api_id, first.task_name, first.percent, first.opaque) == (API, "T", 20.0, None)


def test_the_top_of_the_stack_is_the_task_and_the_one_below_its_parent():  # scenarios 5 and 6
    inside_subtask = parse_report(cmd("3", stack=[T, U]))
    assert (inside_subtask.task_uuid, inside_subtask.parent_uuid) == (U, T)
    nested = parse_report(cmd("3", stack=[T, U, T3, U3]))
    assert (nested.task_uuid, nested.parent_uuid) == (U3, T3)


def test_a_one_element_stack_is_a_root_not_an_orphan_under_the_api_id():  # scenario 25
    report = parse_report(cmd("10", stack=["x"]))
    assert (report.task_uuid, report.parent_uuid) == ("x", None)


def test_the_progress_is_a_number_or_a_numeric_string_stored_as_sent():
    assert [parse_report(cmd(p)).percent for p in ("20", " 37 ", "99.5", 42, 12.5, 0, 100, "100")] == [
        20.0,
        37.0,
        99.5,
        42.0,
        12.5,
        0.0,
        100.0,
        100.0,
    ]
    # agents map into task-stage themselves: the stage is checked, never applied a second time
    assert parse_report(cmd("28", stage="10-46")).percent == 28.0


def test_detail_becomes_opaque_json():  # scenario 8
    report = parse_report(cmd("37", detail={"remain": 10, "total": 100}))
    assert json.loads(report.opaque) == {"remain": 10, "total": 100}


def test_no_api_in_the_context_places_nothing():  # scenario 23
    assert parse_report(cmd("20", api=None)).api_id is None
    assert parse_report({"progress": "20"}).api_id is None  # no context at all


def test_a_missing_task_name_falls_back_instead_of_failing_as_zstack_does():
    assert parse_report(cmd("20", name=None)).task_name == UNNAMED_TASK
    assert parse_report(cmd("20", name="")).task_name == UNNAMED_TASK


def test_fields_zstack_ignores_are_ignored():
    report = parse_report(
        cmd(
            "20",
            serverUuid="host",
            processType="DownloadImage",
            resourceUuid=None,
            serverType="KVM",
            somethingNew=[1, 2],
        )
        | {"threadContextMap": {"api": API, "task-name": "T", "progress-enabled": "true", "apitimeout": 5}}
    )
    assert (report.api_id, report.percent) == (API, 20.0)


# -- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (cmd("abc"), "progress must be a number within 0-100"),
        (cmd(""), "progress must be a number"),
        (cmd("-5"), "progress must be a number"),
        (cmd("101"), 'within 0-100 (or such a number as a string), got "101"'),
        (cmd(100.5), "got 100.5"),
        (cmd("1e2"), "progress must be a number"),
        (cmd("NaN"), "progress must be a number"),
        (cmd(True), "got true"),
        (cmd(None), "got null"),
        (cmd([50]), "progress must be a number"),
        ({"threadContextMap": {"api": API}}, "progress must be a number"),
        (cmd("20", detail=[1]), "detail must be a JSON object"),
        (cmd("20", detail="text"), "detail must be a JSON object"),
        (cmd("20", api="not-an-api-id"), "threadContextMap.api must be an apiId"),
        (cmd("20", api=API.upper()), "threadContextMap.api must be an apiId"),
        (cmd("20", name=7), "threadContextMap.task-name must be a string"),
        (cmd("20", name="n" * 1025), "at most 1024 characters"),
        (cmd("20", stage="10..46"), "threadContextMap.task-stage: a stage is written 'start-end'"),
        (cmd("20", stage="50-10"), "threadContextMap.task-stage"),
        (cmd("20", stage=[0, 90]), "threadContextMap.task-stage"),
        (cmd("20", stack=[T, 5]), "threadContextStack[1] must be a uuid"),
        (cmd("20", stack=["a" * 33]), "threadContextStack[0] must be a uuid"),
        (cmd("20", stack=[""]), "threadContextStack[0]"),
        (cmd("20", stack=[T] * 1025), "at most 1024 uuids"),
        (cmd("20") | {"threadContextStack": "abc"}, "threadContextStack must be a JSON array"),
        (cmd("20") | {"threadContextMap": ["api"]}, "threadContextMap must be a JSON object"),
        ([cmd("20")], "a report must be a JSON object"),
        ("20", "a report must be a JSON object"),
    ],
)
def test_a_malformed_report_is_refused_with_a_clear_reason(body, message: str):
    with pytest.raises(InvalidReport) as refused:
        parse_report(body)
    assert message in refused.value.details


def test_the_command_path_selects_the_handler():  # scenario 24
    with pytest.raises(InvalidReport, match="missing header 'commandpath'"):
        decode_command(None, b"{}")
    with pytest.raises(UnknownCommand, match=r"no command handler for commandpath\[/progress/start\]"):
        decode_command("/progress/start", b"{}")
    [report] = decode_command(REPORT_PATH, json.dumps(cmd("40")).encode())
    assert report.percent == 40.0


@pytest.mark.parametrize("body", [b"", b"{", b"not json", b"[1, 2]", b"null"])
def test_a_body_that_is_not_a_report_object_is_refused(body: bytes):
    with pytest.raises(InvalidReport):
        decode_command(REPORT_PATH, body)


def test_body_limits_depend_on_the_command():
    assert max_body_bytes(REPORT_PATH) == MAX_REPORT_BYTES
    assert max_body_bytes(BATCH_PATH) == MAX_BATCH_BYTES > MAX_REPORT_BYTES


# -- batches -----------------------------------------------------------------------------------------------


def test_a_batch_places_every_report_in_order():
    reports = parse_batch({"reports": [cmd("10"), cmd("20", stack=[T, U]), cmd("30", api=None)]})
    assert [(r.percent, r.parent_uuid) for r in reports] == [(10.0, None), (20.0, T), (30.0, None)]
    assert reports[2].api_id is None
    assert parse_batch({"reports": []}) == []
    body = json.dumps({"reports": [cmd("5")]}).encode()
    assert [r.percent for r in decode_command(BATCH_PATH, body)] == [5.0]


def test_one_bad_report_refuses_the_whole_batch_and_names_its_index():
    with pytest.raises(InvalidReport, match=r"^reports\[2\]: progress must be a number"):
        parse_batch({"reports": [cmd("10"), cmd("20"), cmd("abc"), cmd("40")]})


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"reports": [cmd("1")] * (MAX_BATCH_REPORTS + 1)}, f"at most {MAX_BATCH_REPORTS} reports, got 1001"),
        ({"reports": cmd("1")}, '"reports": a JSON array'),
        ({}, '"reports": a JSON array'),
        ([cmd("1")], "the body must be a JSON object"),
    ],
)
def test_a_malformed_batch_is_refused(body, message: str):
    with pytest.raises(InvalidReport) as refused:
        parse_batch(body)
    assert message in refused.value.details


def test_a_full_batch_is_accepted():
    assert len(parse_batch({"reports": [cmd("1")] * MAX_BATCH_REPORTS})) == MAX_BATCH_REPORTS


# -- who may report ---------------------------------------------------------------------------------------


def test_by_default_only_loopback_may_report_and_no_token_is_needed():
    access = AgentAccess()
    assert access.networks == LOOPBACK
    for host in ("127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"):
        assert access.refusal(host, None) is None, host
    for host in ("10.0.0.1", "192.168.1.5", "::2", "::ffff:10.0.0.1"):
        assert "outside the allowed agent networks" in (access.refusal(host, None) or ""), host


def test_a_client_without_an_ip_address_is_refused():
    assert "known IP addresses" in (AgentAccess().refusal(None, None) or "")
    assert "known IP addresses" in (AgentAccess().refusal("testclient", None) or "")


def test_configured_networks_replace_loopback():
    access = AgentAccess(parse_networks("10.0.0.0/8, 192.168.1.7 ,fd00::/8"))
    assert access.refusal("10.200.3.4", None) is None
    assert access.refusal("192.168.1.7", None) is None
    assert access.refusal("fd00::42", None) is None
    assert access.refusal("192.168.1.8", None) is not None
    assert "[127.0.0.1]" in (access.refusal("127.0.0.1", None) or "")


def test_with_a_token_only_that_token_is_accepted():
    access = AgentAccess(token=TOKEN)
    assert access.refusal("127.0.0.1", TOKEN) is None
    assert "missing header 'X-Agent-Token'" in (access.refusal("127.0.0.1", None) or "")
    assert "wrong 'X-Agent-Token'" in (access.refusal("127.0.0.1", TOKEN + "x") or "")
    assert "wrong" in (access.refusal("127.0.0.1", "é" * 20) or "")
    assert "outside" in (access.refusal("10.0.0.1", TOKEN) or "")  # a token does not open other networks


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "comma-separated CIDRs"),
        ("10.0.0.0/8,", "comma-separated CIDRs"),
        ("10.0.0.1/8", "has host bits set"),
        ("10.0.0.0/33", "is not a CIDR"),
        ("localhost", "is not a CIDR"),
    ],
)
def test_bad_networks_are_refused_at_start_up(text: str, message: str):
    with pytest.raises(InvalidArgument, match=message):
        parse_networks(text)


def test_bad_tokens_are_refused_at_start_up():
    assert check_token(TOKEN) == TOKEN
    with pytest.raises(InvalidArgument, match="at least 16 characters, got 5"):
        check_token("short")
    with pytest.raises(InvalidArgument, match="printable ASCII"):
        check_token("sixteen chars with spaces")
    with pytest.raises(InvalidArgument, match="at least one agent network"):
        AgentAccess(())
    with pytest.raises(InvalidArgument, match="at least 16"):
        AgentAccess(token="")
