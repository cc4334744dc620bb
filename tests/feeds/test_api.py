"""The public surface of wengang.feeds: what other packages may import, and nothing of Django."""

import subprocess
import sys

from wengang import feeds


def test_the_public_names_are_exported():
    promised = {"import_feed_set", "open_snapshot", "list_snapshots", "load_feed_set", "FeedError",
                "FeedSetInvalid", "ValidationReport", "Problem", "Snapshot", "FEEDS"}
    assert promised <= set(feeds.__all__)
    assert all(hasattr(feeds, name) for name in feeds.__all__)


def test_errors_carry_chinese_english_and_a_code():
    from wengang.core.errors import CoreError

    for error in (feeds.FeedError, feeds.FeedSetInvalid, feeds.SnapshotNotFound,
                  feeds.SnapshotCorrupt):
        assert issubclass(error, CoreError) and error.code
    assert feeds.FeedSetInvalid.code != feeds.SnapshotCorrupt.code


def test_feeds_never_imports_django():
    code = ("import sys, wengang.feeds, wengang.feeds.snapshots; "
            "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
