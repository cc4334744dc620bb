"""Snapshots: normalised Parquet, content-addressed ids, atomic writes, tamper detection."""

import datetime as dt
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from rich.console import Console

from wengang.feeds import (
    CONTRACT_VERSION,
    FEEDS,
    FeedError,
    SnapshotCorrupt,
    SnapshotNotFound,
    import_feed_set,
    list_snapshots,
    load_feed_set,
    open_snapshot,
)

from .builders import UNIT_A, UNIT_B, broken, write_feed_set


def test_a_snapshot_holds_each_feed_in_its_normalised_types(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    contributions = pq.read_table(snapshot.path("contributions"))
    assert [(field.name, field.type) for field in contributions.schema] == [
        ("uscc", pa.string()), ("month", pa.string()), ("insured", pa.int64()),
        ("due_fen", pa.int64()), ("paid_fen", pa.int64()), ("paid_on", pa.date32())]
    first = contributions.slice(0, 1).to_pylist()[0]
    assert first == {"uscc": UNIT_A, "month": "2018-12", "insured": 25, "due_fen": 123450,
                     "paid_fen": 123450, "paid_on": dt.date(2018, 12, 15)}
    units = pq.read_table(snapshot.path("units")).to_pylist()
    assert [unit["is_labour_dispatch"] for unit in units] == [False, False]
    assert units[1]["industry_code"] == "7010" and units[1]["legal_rep_id"] is None
    tax = pq.read_table(snapshot.path("tax"))
    assert tax.column_names == ["uscc", "year", "revenue_fen", "total_assets_fen"]
    assert tax.to_pylist()[0]["total_assets_fen"] == 1_200_000_000
    for name in FEEDS:
        table = pq.read_table(snapshot.path(name))
        assert table.column_names == [column.normalised_name for column in FEEDS[name].columns]


def test_rows_keep_the_order_of_the_file(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    months = pq.read_table(snapshot.path("contributions"))["month"].to_pylist()
    assert months[:3] == ["2018-12", "2019-01", "2019-02"] and months[15] == "2018-12"


def test_the_manifest_records_sources_hashes_counts_and_time(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    manifest = json.loads((snapshot.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["snapshot_id"] == snapshot.id == snapshot.directory.name
    assert manifest["imported_at"].startswith("2020-04-15T")
    assert manifest["source_dir"] == str(feed_dir.resolve())
    assert manifest["contract_version"] == CONTRACT_VERSION
    record = manifest["feeds"]["contributions"]
    assert record["rows"] == 30 and record["source_file"] == "contributions.csv"
    assert len(record["sha256"]) == 64 and len(record["source_sha256"]) == 64
    assert record["contract_version"] == CONTRACT_VERSION
    assert manifest["absent"] == []


def test_importing_the_same_data_twice_gives_one_snapshot(feed_dir, store):
    first = import_feed_set(feed_dir, store)
    second = import_feed_set(feed_dir, store)
    assert first.id == second.id
    assert [path.name for path in store.iterdir()] == [first.id]  # no staging folder left behind
    assert [snapshot.id for snapshot in list_snapshots(store)] == [first.id]


def test_different_data_gives_a_different_snapshot(tmp_path, store):
    first = import_feed_set(write_feed_set(tmp_path / "a"), store)
    changed = write_feed_set(tmp_path / "b", broken(
        lambda rows: rows["contributions"][0].update(paid="1234.49")))
    second = import_feed_set(changed, store)
    assert second.id != first.id
    assert {snapshot.id for snapshot in list_snapshots(store)} == {first.id, second.id}


def test_an_absent_feed_is_not_written_and_has_no_path(feed_dir, store):
    (feed_dir / "credit.csv").unlink()
    snapshot = import_feed_set(feed_dir, store)
    assert "credit" not in snapshot.present and not (snapshot.directory / "credit.parquet").exists()
    with pytest.raises(FeedError):
        snapshot.path("credit")
    manifest = json.loads((snapshot.directory / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["absent"] == ["credit"]


def test_open_snapshot_verifies_and_returns_the_same_snapshot(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    opened = open_snapshot(store, snapshot.id)
    assert opened.feeds == snapshot.feeds and opened.imported_at == snapshot.imported_at


@pytest.mark.parametrize("tamper", ["flip_byte", "delete_file", "edit_manifest_hash",
                                    "drop_manifest", "rename_folder"])
def test_a_tampered_snapshot_is_refused(feed_dir, store, tamper):
    snapshot = import_feed_set(feed_dir, store)
    target = snapshot.directory / "contributions.parquet"
    manifest_path = snapshot.directory / "manifest.json"
    snapshot_id = snapshot.id
    if tamper == "flip_byte":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
    elif tamper == "delete_file":
        target.unlink()
    elif tamper == "edit_manifest_hash":
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        import hashlib
        manifest["feeds"]["contributions"]["sha256"] = hashlib.sha256(bytes(data)).hexdigest()
        manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    elif tamper == "drop_manifest":
        manifest_path.unlink()
    else:
        other = "0" * 16 if snapshot_id != "0" * 16 else "1" * 16
        snapshot.directory.rename(store / other)
        snapshot_id = other
    with pytest.raises(SnapshotCorrupt) as caught:
        open_snapshot(store, snapshot_id)
    assert caught.value.code == "snapshot_corrupt" and caught.value.zh and caught.value.en


@pytest.mark.parametrize("snapshot_id", ["0123456789abcdef", "../store", "", "ABCDEF0123456789"])
def test_an_unknown_snapshot_is_not_found(store, snapshot_id):
    store.mkdir()
    with pytest.raises(SnapshotNotFound):
        open_snapshot(store, snapshot_id)


def test_list_snapshots_of_an_empty_or_missing_store(store):
    assert list_snapshots(store) == []


def test_summary_table_lists_every_feed(feed_dir, store):
    (feed_dir / "tax.csv").unlink()
    snapshot = import_feed_set(feed_dir, store)
    console = Console(record=True, width=120)
    console.print(snapshot.summary_table())
    text = console.export_text()
    assert snapshot.id in text and "contributions.csv" in text and "30" in text
    assert "not supplied" in text


def test_progress_is_shown_when_a_console_is_given(feed_dir, store):
    console = Console(record=True, width=120, force_terminal=False)
    import_feed_set(feed_dir, store, console=console)
    text = console.export_text()
    assert "units.csv" in text and "contributions.parquet" in text


def test_a_snapshot_loads_as_duckdb_relations(feed_dir, store):
    (feed_dir / "credit.csv").unlink()
    snapshot = import_feed_set(feed_dir, store)
    with snapshot.load() as feeds:
        assert feeds.present == snapshot.present and feeds.snapshot_id == snapshot.id
        paid = feeds.connection.execute(
            "SELECT uscc, sum(paid_fen) FROM contributions GROUP BY uscc ORDER BY uscc").fetchall()
        assert dict(paid) == {UNIT_A: 15 * 123450, UNIT_B: 15 * 9600}
        assert feeds.rows("credit") == 0
        assert feeds.relation("credit").columns == ["uscc", "list", "listed_on", "removed_on"]


def test_load_feed_set_gives_the_same_tables_without_a_snapshot(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    with load_feed_set(feed_dir) as loaded, snapshot.load() as stored:
        for name in FEEDS:
            assert loaded.to_arrow(name).equals(stored.to_arrow(name)), name
    assert [path.name for path in store.iterdir()] == [snapshot.id]


def test_an_unwritable_store_is_a_feed_error(feed_dir, tmp_path):
    blocker = tmp_path / "store"
    blocker.write_text("not a folder")
    with pytest.raises(FeedError) as caught:
        import_feed_set(feed_dir, blocker)
    assert caught.value.code == "store_unwritable"


def test_a_large_feed_gives_the_same_snapshot_from_csv_and_parquet(tmp_path):
    """Several row groups, read in parallel: the normalised bytes must not depend on how."""
    from .builders import make_uscc, valid_rows, write_feed

    rows = valid_rows()
    units = [dict(rows["units"][1], uscc=make_uscc(f"92360111{n:09d}")) for n in range(11_000)]
    contributions = [{"uscc": unit["uscc"], "month": f"2019-{m:02d}", "insured": "3",
                      "due": "96.00", "paid": "96.00", "paid_on": f"2019-{m:02d}-15"}
                     for unit in units for m in range(1, 13)]
    registry = [{"uscc": unit["uscc"], "status": "active", "abnormal": "false"} for unit in units]
    ids = set()
    for fmt in ("csv", "parquet"):
        folder = tmp_path / fmt
        folder.mkdir()
        for name, records in (("units", units), ("contributions", contributions),
                              ("registry", registry)):
            write_feed(folder / f"{name}.{fmt}", records)
        ids.add(import_feed_set(folder, tmp_path / "store").id)
    assert len(ids) == 1
