"""Errors of the feeds package, each with a stable ``code`` and a message in Chinese and English.

    CoreError (core.errors)
    └── FeedError               anything the feeds package refuses to do
        ├── FeedSetInvalid      the feed set has problems; ``.report`` lists every one
        ├── SnapshotNotFound    no snapshot with that id in the store
        └── SnapshotCorrupt     a snapshot whose files no longer match its manifest

A bad feed set is not an exception per problem: validation collects every problem into a
``ValidationReport`` and raises ``FeedSetInvalid`` once, carrying it.
"""

from typing import TYPE_CHECKING

from wengang.core.errors import CoreError

if TYPE_CHECKING:
    from .report import ValidationReport


class FeedError(CoreError):
    code = "feed_error"


class FeedSetInvalid(FeedError):
    code = "feed_set_invalid"

    def __init__(self, report: "ValidationReport") -> None:
        self.report = report
        count = len(report)
        super().__init__(
            f"数据校验未通过：{count} 个问题，未导入任何数据",
            f"the feed set is invalid: {count} problem(s); nothing was imported",
        )


class SnapshotNotFound(FeedError):
    code = "snapshot_not_found"

    def __init__(self, store_dir: object, snapshot_id: str) -> None:
        self.store_dir = store_dir
        self.snapshot_id = snapshot_id
        super().__init__(
            f"快照不存在：{snapshot_id}（快照库 {store_dir}）",
            f"no snapshot {snapshot_id!r} in store {store_dir}",
        )


class SnapshotCorrupt(FeedError):
    code = "snapshot_corrupt"

    def __init__(self, snapshot_id: str, zh: str, en: str) -> None:
        self.snapshot_id = snapshot_id
        super().__init__(
            f"快照 {snapshot_id} 已损坏或被改动：{zh}",
            f"snapshot {snapshot_id} is damaged or was altered: {en}",
        )
