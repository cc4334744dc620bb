"""Vectorised identifiers: USCCs (GB 32100), organisation codes (GB 11714), resident IDs (GB 11643).

The generator makes a million of each, so check characters are computed on integer arrays of
code points (one row per identifier, one column per character) instead of calling
``wengang.core.ids`` per code; the tests check every generated code against ``wengang.core.ids``.
"""

import numpy as np
import polars as pl
import pyarrow as pa

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_ALPHABET_POINTS = np.array([ord(char) for char in USCC_ALPHABET], dtype=np.uint32)
_USCC_VALUE = np.zeros(128, dtype=np.int64)
_USCC_VALUE[_ALPHABET_POINTS] = np.arange(len(USCC_ALPHABET))
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_RID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int64)
_ZERO, _X = ord("0"), ord("X")


def join_points(points: np.ndarray) -> pl.Series:
    """Join a (rows × width) array of ASCII code points into a Series of strings.

    The bytes become the data buffer of an Arrow string array directly (no Python strings).
    """
    count, width = points.shape
    data = np.ascontiguousarray(points, dtype=np.uint8)
    offsets = np.arange(0, (count + 1) * width, width, dtype=np.int64)
    array = pa.Array.from_buffers(pa.large_string(), count,
                                  [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return pl.from_arrow(array)


def digit_points(numbers: np.ndarray, width: int) -> np.ndarray:
    """Code points of the zero-padded decimal digits of non-negative integers (count × width)."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((np.asarray(numbers, dtype=np.int64)[:, None] // powers) % 10 + _ZERO).astype(
        np.uint32)


def digit_strings(numbers: np.ndarray, width: int) -> pl.Series:
    """Zero-padded decimal strings of non-negative integers."""
    return join_points(digit_points(numbers, width))


def uscc_codes(prefixes: np.ndarray, regions: np.ndarray, org_codes: np.ndarray) -> pl.Series:
    """USCCs from 2-character prefixes and organisation codes (code points, count × 2 and
    count × 9) and 6-digit region codes (integers); the 18th character is the GB 32100 check."""
    count = len(regions)
    points = np.empty((count, 18), dtype=np.uint32)
    points[:, :2] = prefixes
    points[:, 2:8] = digit_points(regions, 6)
    points[:, 8:17] = org_codes
    check = (31 - (_USCC_VALUE[points[:, :17]] @ _USCC_WEIGHTS) % 31) % 31
    points[:, 17] = _ALPHABET_POINTS[check]
    return join_points(points)


def org_codes(rng: np.random.Generator, modern: np.ndarray) -> np.ndarray:
    """Distinct organisation codes (GB 11714) as code points (count × 9): body and check.

    Older units have 8-digit bodies; units registered since the 2015 reform have bodies
    ``MA3`` + 5 characters of the USCC alphabet, as the registration system issues them.
    """
    count = len(modern)
    body = np.empty((count, 8), dtype=np.uint32)
    old = ~modern
    body[old] = digit_points(rng.choice(90_000_000, size=int(old.sum()), replace=False)
                             + 10_000_000, 8)
    serial = rng.choice(31 ** 5, size=int(modern.sum()), replace=False)
    modern_body = np.empty((len(serial), 8), dtype=np.uint32)
    modern_body[:, :3] = [ord("M"), ord("A"), ord("3")]
    for position in range(5):
        modern_body[:, 7 - position] = _ALPHABET_POINTS[serial % 31]
        serial //= 31
    body[modern] = modern_body
    values = np.where(body <= ord("9"), body.astype(np.int64) - _ZERO,
                      body.astype(np.int64) - ord("A") + 10)
    remainder = 11 - (values @ _ORG_WEIGHTS) % 11
    check = np.where(remainder == 10, _X, np.where(remainder == 11, _ZERO, remainder + _ZERO))
    return np.concatenate([body, check.astype(np.uint32)[:, None]], axis=1)


def resident_ids(birth_counties: np.ndarray, births: np.ndarray, male: np.ndarray,
                 rng: np.random.Generator) -> pl.Series:
    """Resident ID numbers: birth county, birth date, sequence (odd for men), check character.

    ``births`` is an array of ``datetime64[D]``; ``birth_counties`` of 6-digit integers.
    """
    count = len(births)
    years = births.astype("datetime64[Y]").astype(np.int64) + 1970
    months = births.astype("datetime64[M]").astype(np.int64) % 12 + 1
    days = (births - births.astype("datetime64[M]")).astype(np.int64) + 1
    sequence = rng.integers(0, 500, size=count) * 2 + np.where(male, 1, 0)
    points = np.empty((count, 18), dtype=np.uint32)
    points[:, 0:6] = digit_points(birth_counties, 6)
    points[:, 6:14] = digit_points(years * 10_000 + months * 100 + days, 8)
    points[:, 14:17] = digit_points(sequence, 3)
    check = (12 - ((points[:, :17].astype(np.int64) - _ZERO) @ _RID_WEIGHTS) % 11) % 11
    points[:, 17] = np.where(check == 10, _X, check + _ZERO)
    return join_points(points)
