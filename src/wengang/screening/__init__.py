"""Screening (比对筛查): department data in, every unit decided under every program, explained.

Framework-free: DuckDB over feed snapshots or folders; never imports Django.
"""

from .errors import InputError, OutputError, ScreeningError
from .inputs import FeedSource, folder_source, snapshot_source
from .risk import RISK_IDS, RiskThresholds
from .run import Screening, screen

__all__ = [
           "RISK_IDS",
           "FeedSource",
           "InputError",
           "OutputError",
           "RiskThresholds",
           "Screening",
           "ScreeningError",
           "folder_source",
           "screen",
           "snapshot_source",
]
