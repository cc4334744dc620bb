"""Fixtures: synthetic cities written once per test session, and their feeds read back as text."""

from pathlib import Path

import polars as pl
import pytest

from wengang.demo import CitySpec, write_city

FEED_NAMES = ("units", "contributions", "separations", "tax", "registry", "credit",
              "environment", "difficulty")


def read_feeds(folder: Path, suffix: str = "csv") -> dict[str, pl.DataFrame]:
    """Every feed of a folder, each cell as the text the file holds ('' → null)."""
    if suffix == "csv":
        return {feed: pl.read_csv(folder / f"{feed}.csv", infer_schema=False)
                for feed in FEED_NAMES}
    return {feed: pl.read_parquet(folder / f"{feed}.parquet") for feed in FEED_NAMES}


@pytest.fixture(scope="session")
def city(tmp_path_factory) -> Path:
    """The demo city: Nanchang, 20,000 units, Y = 2019, as of 2020-04-15 (CSV)."""
    folder = tmp_path_factory.mktemp("city")
    write_city(CitySpec(units=20_000, seed=2020), folder)
    return folder


@pytest.fixture(scope="session")
def feeds(city) -> dict[str, pl.DataFrame]:
    return read_feeds(city)


@pytest.fixture(scope="session")
def dirty_city(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("dirty")
    write_city(CitySpec(units=2_000, seed=7, dirty=True), folder)
    return folder
