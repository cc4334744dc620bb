"""The clock: the one place domain code gets "today" from, settable for tests and the demo."""

from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.core import clock as clock_module
from wengang.core.clock import CHINA, Clock, start_of_day

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def real_today_in_china() -> set[date]:
    """Both possible answers when a test happens to straddle midnight in Shanghai."""
    now = datetime.now(CHINA)
    return {now.date(), (now - timedelta(seconds=5)).date()}


def test_an_unfixed_clock_gives_the_real_date_in_china():
    clock = Clock()
    assert not clock.is_fixed
    assert clock.today() in real_today_in_china()
    assert clock.now().tzinfo is not None
    assert clock.now().utcoffset() == timedelta(hours=8)


@given(days)
def test_a_fixed_clock_gives_its_day_and_the_real_time_of_day(day):
    clock = Clock(today=day)
    assert clock.is_fixed
    assert clock.today() == day
    now = clock.now()
    assert now.date() == day
    assert now.utcoffset() == timedelta(hours=8)


def test_set_today_fixes_and_none_releases_the_date():
    clock = Clock()
    clock.set_today(date(2020, 5, 6))
    assert clock.today() == date(2020, 5, 6)
    clock.set_today(None)
    assert not clock.is_fixed
    assert clock.today() in real_today_in_china()


@given(days, st.integers(min_value=-400, max_value=400))
def test_advance_moves_a_fixed_clock_by_whole_days(day, step):
    clock = Clock(today=day)
    assert clock.advance(step) == day + timedelta(days=step)
    assert clock.today() == day + timedelta(days=step)


def test_advance_fixes_an_unfixed_clock_at_tomorrow():
    clock = Clock()
    before = real_today_in_china()
    tomorrow = clock.advance()
    assert clock.is_fixed
    assert tomorrow - timedelta(days=1) in before


def test_frozen_restores_the_previous_date_even_after_an_error():
    clock = Clock(today=date(2020, 1, 1))
    with pytest.raises(RuntimeError), clock.frozen(date(2020, 5, 6)) as frozen:
        assert frozen is clock
        assert clock.today() == date(2020, 5, 6)
        raise RuntimeError("boom")
    assert clock.today() == date(2020, 1, 1)


def test_frozen_on_an_unfixed_clock_returns_it_to_the_real_calendar():
    clock = Clock()
    with clock.frozen(date(2020, 5, 6)):
        assert clock.is_fixed
    assert not clock.is_fixed


def test_wengang_today_fixes_the_clock_for_a_process(monkeypatch):
    monkeypatch.setenv("WENGANG_TODAY", "2020-04-15")
    assert Clock.from_environment().today() == date(2020, 4, 15)
    monkeypatch.setenv("WENGANG_TODAY", "")
    assert not Clock.from_environment().is_fixed
    monkeypatch.delenv("WENGANG_TODAY")
    assert not Clock.from_environment().is_fixed


def test_a_malformed_wengang_today_fails_loudly(monkeypatch):
    monkeypatch.setenv("WENGANG_TODAY", "15/04/2020")
    with pytest.raises(ValueError):
        Clock.from_environment()


@given(days)
def test_start_of_day_is_midnight_in_shanghai(day):
    moment = start_of_day(day)
    assert (moment.date(), moment.time()) == (day, time.min)
    assert moment.utcoffset() == timedelta(hours=8)
    assert moment.astimezone(CHINA).date() == day


def test_the_module_offers_one_shared_clock():
    assert isinstance(clock_module.clock, Clock)


def test_frozen_at_a_moment_fixes_the_time_of_day_too():
    clock = Clock()
    noon = datetime(2020, 4, 29, 12, 0, tzinfo=CHINA)
    with clock.frozen(noon):
        assert (clock.today(), clock.now()) == (date(2020, 4, 29), noon)
        clock.advance(2)
        assert (clock.today(), clock.now()) == (date(2020, 5, 1), noon + timedelta(days=2))
    assert clock.now() != noon + timedelta(days=2)  # back to the real clock
    with clock.frozen(date(2020, 4, 29)):
        assert clock.now().date() == date(2020, 4, 29)  # a day only: the real time of day
