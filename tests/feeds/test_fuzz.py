"""Whatever bytes a file holds, the import either succeeds or raises a clean FeedSetInvalid."""

import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wengang.feeds import FEEDS, FeedSetInvalid, import_feed_set

from .builders import valid_rows, write_feed, write_feed_set

_FUZZ = settings(max_examples=12, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _import_cleanly(folder: Path, store: Path) -> None:
    try:
        import_feed_set(folder, store)
    except FeedSetInvalid as invalid:
        report = invalid.report
        assert len(report) > 0
        for problem in report:
            assert problem.code and problem.zh and problem.en
        if store.exists():
            assert [p for p in store.iterdir()] == [], "an invalid import wrote to the store"


@_FUZZ
@given(feed=st.sampled_from(list(FEEDS)), suffix=st.sampled_from(["csv", "xlsx", "parquet"]),
       content=st.binary(max_size=2048))
def test_random_bytes_as_a_feed_file(tmp_path_factory, feed, suffix, content):
    folder = write_feed_set(tmp_path_factory.mktemp("feeds"), only=(feed,))
    (folder / f"{feed}.csv").unlink()
    (folder / f"{feed}.{suffix}").write_bytes(content)
    _import_cleanly(folder, tmp_path_factory.mktemp("store"))


def _template(tmp_path_factory, feed: str, suffix: str) -> bytes:
    path = write_feed(tmp_path_factory.mktemp("template") / f"{feed}.{suffix}", valid_rows()[feed])
    return path.read_bytes()


_mutation = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1, exclude_max=True), st.integers(1, 255)),
    st.tuples(st.just("cut"), st.floats(0, 1, exclude_max=True), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1, exclude_max=True), st.integers(0, 255)),
    st.tuples(st.just("delete"), st.floats(0, 1, exclude_max=True), st.just(0)),
)


def _mutate(data: bytes, mutations) -> bytes:
    for kind, where, byte in mutations:
        at = int(where * len(data)) if data else 0
        if kind == "flip" and data:
            data = data[:at] + bytes([data[at] ^ byte]) + data[at + 1:]
        elif kind == "cut":
            data = data[:at]
        elif kind == "insert":
            data = data[:at] + bytes([byte]) + data[at:]
        elif kind == "delete" and data:
            data = data[:at] + data[at + 1:]
    return data


@_FUZZ
@given(feed=st.sampled_from(["units", "contributions", "registry", "credit"]),
       suffix=st.sampled_from(["csv", "xlsx", "parquet"]),
       mutations=st.lists(_mutation, min_size=1, max_size=3))
def test_damaged_copies_of_valid_files(tmp_path_factory, feed, suffix, mutations):
    folder = write_feed_set(tmp_path_factory.mktemp("feeds"), only=(feed,))
    (folder / f"{feed}.csv").unlink()
    template = _template(tmp_path_factory, feed, suffix)
    (folder / f"{feed}.{suffix}").write_bytes(_mutate(template, mutations))
    store = tmp_path_factory.mktemp("store")
    _import_cleanly(folder, store)
    shutil.rmtree(folder)
