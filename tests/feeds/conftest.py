"""Feeds test fixtures: the clock frozen on 2020-04-15, a valid feed set, an import helper."""

from datetime import date
from pathlib import Path

import pytest

from wengang.core.clock import clock
from wengang.feeds import FeedSetInvalid, ValidationReport, import_feed_set

from .builders import TODAY, write_feed_set


@pytest.fixture(autouse=True)
def frozen_today():
    with clock.frozen(date.fromisoformat(TODAY)):
        yield


@pytest.fixture
def feed_dir(tmp_path: Path) -> Path:
    """A valid feed set as CSV (tests break it one way each)."""
    return write_feed_set(tmp_path / "feeds")


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "store"


def rejected(folder: Path, store: Path) -> ValidationReport:
    """Import ``folder``, expect it refused, and check nothing reached the store."""
    with pytest.raises(FeedSetInvalid) as caught:
        import_feed_set(folder, store)
    assert not store.exists() or not any(store.iterdir()), "an invalid import wrote to the store"
    report = caught.value.report
    assert len(report) > 0
    return report


def only(report: ValidationReport, code: str):
    """The problems of ``code``, after checking the report has no other kind."""
    assert report.codes == {code}, [str(problem) for problem in report]
    return report.problems
