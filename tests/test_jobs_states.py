"""The LongJob state machine and the REST actions, cell by cell against the spec's table (§8)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

import taskprogress as tp
from taskprogress.jobs import (
    FINAL_STATES,
    IllegalTransition,
    LongJobAction,
    LongJobEvent,
    LongJobState,
    OperationNotSupported,
    event_for_error,
    is_final,
    next_state,
    plan_action,
)
from taskprogress.jobs.errors import JobFailed

S, E = LongJobState, LongJobEvent

# The spec's table, transcribed independently of the module: "-" is an undefined transition.
EVENTS = ["start", "succeed", "fail", "resume", "suspend", "canceling", "canceled"]
TABLE = {
    "Waiting": ["Running", "-", "Failed", "-", "-", "Canceled", "Canceled"],
    "Suspended": ["-", "-", "Failed", "Running", "Suspended", "Canceling", "Canceled"],
    "Running": ["-", "Succeeded", "Failed", "Running", "Suspended", "Canceling", "Canceled"],
    "Canceling": ["-", "Succeeded", "Canceled", "-", "Canceling", "Canceling", "Canceled"],
}
CELLS = [(state, event, row[i]) for state, row in TABLE.items() for i, event in enumerate(EVENTS)]


def test_the_states_and_events_are_ZStacks():
    assert [s.value for s in LongJobState] == [
        "Waiting",
        "Suspended",
        "Running",
        "Succeeded",
        "Canceling",
        "Canceled",
        "Failed",
    ]
    assert [e.value for e in LongJobEvent] == EVENTS


@pytest.mark.parametrize(("state", "event", "expected"), CELLS)
def test_every_cell_of_the_table(state, event, expected):
    if expected == "-":
        with pytest.raises(IllegalTransition) as raised:
            next_state(state, event)
        assert raised.value.error_code.code == "SYS.1007"
        assert state in str(raised.value) and event in str(raised.value)
        assert (raised.value.state, raised.value.event) == (state, event)
        assert isinstance(raised.value, tp.InvalidArgument)
    else:
        assert next_state(state, event) == expected
        assert next_state(LongJobState(state), LongJobEvent(event)) is LongJobState(expected)


@pytest.mark.parametrize("state", ["Succeeded", "Failed", "Canceled"])
@pytest.mark.parametrize("event", EVENTS)
def test_a_final_state_ignores_every_event(state, event):
    assert next_state(state, event) == state


def test_final_states():
    assert FINAL_STATES == {S.Succeeded, S.Failed, S.Canceled}
    assert [s for s in LongJobState if is_final(s)] == [S.Succeeded, S.Canceled, S.Failed]
    assert is_final("Failed") and not is_final("Canceling")


@given(st.lists(st.sampled_from(list(LongJobEvent)), max_size=30))
def test_any_event_sequence_stays_in_the_table(events):
    state = S.Waiting
    for event in events:
        try:
            after = next_state(state, event)
        except IllegalTransition:
            assert not is_final(state) and TABLE[state][EVENTS.index(event)] == "-"
            continue
        if is_final(state):
            assert after is state  # once final, always final
        else:
            assert after == TABLE[state][EVENTS.index(event)]
        state = after


@pytest.mark.parametrize(("state", "event"), [("Done", "start"), ("Running", "explode"), (None, "start")])
def test_unknown_states_and_events_are_invalid_arguments(state, event):
    with pytest.raises(tp.InvalidArgument, match="unknown long job"):
        next_state(state, event)


@pytest.mark.parametrize(
    ("error", "event"),
    [
        (tp.Suspended("the node is going down"), E.suspend),
        (tp.Canceled(), E.canceled),
        (JobFailed("disk full"), E.fail),
        (RuntimeError("a bug"), E.fail),
        ("SYS.1012", E.suspend),  # MANAGEMENT_NODE_UNAVAILABLE
        ("LONG_JOB.1002", E.suspend),
        ("LONG_JOB.1000", E.canceled),
        ("SYS.1000", E.fail),
    ],
)
def test_errors_map_to_events_as_in_ZStack(error, event):
    assert event_for_error(error) is event


def test_a_job_that_fails_while_canceling_ends_canceled():
    state = next_state(S.Running, event_for_error(tp.Canceled()))
    assert state is S.Canceled
    assert next_state(S.Canceling, event_for_error(JobFailed("late failure"))) is S.Canceled


# The REST actions: (state, action) -> event to apply, None for a no-op, or the error code of the refusal.
ACTIONS = {
    "cancel": {
        "Waiting": E.canceling,
        "Running": E.canceling,
        "Suspended": E.canceling,
        "Canceling": None,
        "Canceled": None,
        "Succeeded": "SYS.1007",
        "Failed": "SYS.1007",
    },
    "suspend": {
        "Waiting": "SYS.1007",
        "Running": E.suspend,
        "Suspended": None,
        "Canceling": None,
        "Canceled": "SYS.1007",
        "Succeeded": "SYS.1007",
        "Failed": "SYS.1007",
    },
    "resume": {s: ("SYS.1007" if s != "Suspended" else E.resume) for s in TABLE | dict.fromkeys(FINAL_STATES)},
    "rerun": {s: (None if s in FINAL_STATES else "SYS.1007") for s in LongJobState},
    "delete": {s: (None if s in FINAL_STATES else "SYS.1007") for s in LongJobState},
    "update": dict.fromkeys(LongJobState),
}
ACTION_CELLS = [(a, s, want) for a, row in ACTIONS.items() for s, want in row.items()]


@pytest.mark.parametrize(("action", "state", "expected"), ACTION_CELLS)
def test_every_action_in_every_state(action, state, expected):
    assert len(ACTIONS[action]) == len(LongJobState)
    if isinstance(expected, str) and "." in expected:
        with pytest.raises(IllegalTransition) as raised:
            plan_action(action, state, supports_cancel=True, supports_suspend=True)
        assert raised.value.error_code.code == expected
        assert str(state).lower() in str(raised.value).lower()
    else:
        assert plan_action(action, state, supports_cancel=True, supports_suspend=True) == expected


def test_ZStacks_words_for_canceling_a_finished_job():
    with pytest.raises(IllegalTransition, match=r"^cannot cancel longjob that is succeeded$"):
        plan_action(LongJobAction.cancel, S.Succeeded)


@pytest.mark.parametrize(
    ("action", "state", "abilities"),
    [
        ("cancel", "Running", {"supports_cancel": False}),
        ("suspend", "Running", {"supports_suspend": False}),
        ("resume", "Suspended", {"supports_suspend": False}),
    ],
)
def test_a_job_type_without_the_ability_is_LONG_JOB_1003(action, state, abilities):
    with pytest.raises(OperationNotSupported) as raised:
        plan_action(action, state, **abilities)
    assert raised.value.error_code.code == "LONG_JOB.1003"


def test_canceling_a_canceled_job_succeeds_even_without_cancel_support():
    assert plan_action("cancel", "Canceled", supports_cancel=False) is None
