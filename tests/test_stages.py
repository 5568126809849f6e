"""Stage arithmetic (pure): ZStack's nesting, and splitting without ZStack's lost point."""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from taskprogress.core.stages import FULL, Range, served_content
from taskprogress.errors import InvalidArgument


def test_nesting_maps_like_markTaskStage():
    assert FULL.sub(0, 90) == Range(0, 90)
    assert Range(10, 50).sub(0, 90) == Range(10, 46)
    assert Range(10, 46).sub(50, 100) == Range(28, 46)


def test_weights_2_3_4_over_0_90():
    assert Range(0, 90).split([2, 3, 4]) == [Range(0, 20), Range(20, 50), Range(50, 90)]


def test_equal_thirds_end_at_the_parents_end():
    # ZStack gives 0-33, 33-66, 66-99: the last point is lost.
    assert FULL.split([1, 1, 1]) == [Range(0, 33), Range(33, 67), Range(67, 100)]


def test_all_zero_weights_split_equally():
    assert Range(20, 60).split([0, 0]) == [Range(20, 40), Range(40, 60)]


def test_string_form_round_trips():
    assert str(Range(10, 46)) == "10-46"
    assert Range.parse("10-46") == Range(10, 46)


@pytest.mark.parametrize("text", ["", "10", "a-b", "-5-10", "10-5", "0-101"])
def test_bad_stage_strings_are_refused(text):
    with pytest.raises(InvalidArgument):
        Range.parse(text)


@pytest.mark.parametrize("weights", [[], [-1, 2], [float("nan")], ["1"], [True]])
def test_bad_weights_are_refused(weights):
    with pytest.raises(InvalidArgument):
        FULL.split(weights)


@pytest.mark.parametrize("bounds", [(-1, 10), (10, 101), (60, 50), (float("inf"), 10)])
def test_bad_sub_ranges_are_refused(bounds):
    with pytest.raises(InvalidArgument):
        FULL.sub(*bounds)


def test_served_content_floors_without_float_noise():
    assert served_content(27.9) == "27"
    assert served_content(100 / 3 + 200 / 3) == "100"
    assert served_content(0) == "0"


ranges = st.tuples(st.integers(0, 100), st.integers(0, 100)).map(lambda t: Range(min(t), max(t)))


@given(ranges, st.lists(st.integers(0, 1000), min_size=1, max_size=12))
def test_split_is_contiguous_and_covers_the_parent(parent, weights):
    parts = parent.split(weights)
    assert len(parts) == len(weights)
    assert parts[0].start == parent.start
    assert parts[-1].end == parent.end
    for left, right in itertools.pairwise(parts):
        assert left.end == right.start


@given(ranges, st.floats(0, 100), st.floats(0, 100))
def test_sub_stays_inside_the_parent(parent, a, b):
    sub = parent.sub(min(a, b), max(a, b))
    assert parent.start <= sub.start <= sub.end <= parent.end
