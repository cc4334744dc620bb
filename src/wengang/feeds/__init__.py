"""Department feeds in: read, validate, normalise, snapshot (部门数据导入与校验).

A feed set is a folder with one file per feed of the contract (FEEDS.md, as data in
``contract.FEEDS``): CSV, XLSX or Parquet. ``import_feed_set`` validates it — every problem,
with file, row, column, value and a reason in Chinese and English, and nothing stored when
there is any — and writes a content-addressed snapshot of normalised Parquet.
``load_feed_set`` validates the same way and hands the normalised tables to screening without
writing anything.

    snapshot = import_feed_set("feeds/2020-04", "var/snapshots", console=console)
    with open_snapshot("var/snapshots", snapshot.id).load() as feeds:
        feeds.relation("contributions").aggregate("sum(paid_fen)")

Framework-free: never imports Django.

Errors (``errors``)::

    FeedError
    ├── FeedSetInvalid    .report: the ValidationReport
    ├── SnapshotNotFound
    └── SnapshotCorrupt
"""

from importlib import import_module
from typing import TYPE_CHECKING

from .contract import CONTRACT_VERSION, FEEDS, Column, Feed, Kind
from .errors import FeedError, FeedSetInvalid, SnapshotCorrupt, SnapshotNotFound

if TYPE_CHECKING:
    from .feedset import FeedSet, load_feed_set
    from .report import MESSAGES, Problem, ValidationReport
    from .snapshots import FeedRecord, Snapshot, import_feed_set, list_snapshots, open_snapshot

_LAZY = {
    "FeedSet": "feedset", "load_feed_set": "feedset",
    "MESSAGES": "report", "Problem": "report", "ValidationReport": "report",
    "FeedRecord": "snapshots", "Snapshot": "snapshots", "import_feed_set": "snapshots",
    "list_snapshots": "snapshots", "open_snapshot": "snapshots",
}
"""Names imported on first use: their modules load pyarrow and numpy (0.2–0.3 s), which a
screening of a CSV folder, reading only the contract, never needs."""


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    globals()[name] = value
    return value

__all__ = [
    "CONTRACT_VERSION",
    "FEEDS",
    "MESSAGES",
    "Column",
    "Feed",
    "FeedError",
    "FeedRecord",
    "FeedSet",
    "FeedSetInvalid",
    "Kind",
    "Problem",
    "Snapshot",
    "SnapshotCorrupt",
    "SnapshotNotFound",
    "ValidationReport",
    "import_feed_set",
    "list_snapshots",
    "load_feed_set",
    "open_snapshot",
]
