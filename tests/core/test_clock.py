"""The offset clock a demo moves on: it follows the wall clock, moves forward on request, never back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import OffsetClock

MONDAY_NOON = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def test_an_offset_clock_moves_on_to_a_moment_and_keeps_following_the_wall_clock():
    wall = [MONDAY_NOON]
    clock = OffsetClock(wall=lambda: wall[0])
    assert clock.now() == MONDAY_NOON
    thursday = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    assert clock.advance_to(thursday) == thursday
    assert clock.offset == timedelta(days=3, hours=3)
    wall[0] += timedelta(minutes=2)  # real time goes on: so does the moved clock
    assert clock.now() == thursday + timedelta(minutes=2)


def test_an_offset_clock_does_not_go_back():
    clock = OffsetClock(timedelta(days=1), wall=lambda: MONDAY_NOON)
    with pytest.raises(ValueError, match="does not go back"):
        clock.advance_to(MONDAY_NOON)
    assert clock.now() == MONDAY_NOON + timedelta(days=1)
