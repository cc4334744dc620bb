"""Money as integer fen (分). Yuan strings only at the edges; never a float.

Rounding is half-up to the fen, once, where a ratio is applied (DOMAIN.md: amounts are rounded
half-up to the fen).
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import MoneyError

_YUAN = re.compile(r"^([+-]?)(\d+)(?:\.(\d{1,2}))?\Z", re.ASCII)
_ONE_FEN = Decimal(1)


def parse_yuan(text: str) -> int:
    """Parse a yuan amount such as ``"6965.28"`` into fen, exactly.

    Accepts an optional sign and at most two decimals; thousands separators, currency signs,
    exponents and more decimals are refused rather than guessed.
    """
    match = _YUAN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise MoneyError(
            f"金额格式不正确：{text!r}（应为元，最多两位小数，如 1234.56）",
            f"invalid amount {text!r}: expected yuan with at most 2 decimals, e.g. 1234.56",
            code="money_format",
        )
    sign, whole, decimals = match.groups()
    fen = int(whole) * 100 + int((decimals or "0").ljust(2, "0"))
    return -fen if sign == "-" else fen


def fen_to_yuan(fen: int, *, grouping: bool = False) -> str:
    """Format fen as yuan with two decimals: ``696528`` → ``"6965.28"`` (``"6,965.28"`` grouped)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    whole_text = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{whole_text}.{cents:02d}"


def apply_ratio(fen: int, ratio: Decimal | str | int) -> int:
    """Return ``fen × ratio`` rounded half-up to the fen (away from zero at exactly .5 fen)."""
    try:
        factor = ratio if isinstance(ratio, Decimal) else Decimal(str(ratio))  # 0.3 → "0.3"
        result = (Decimal(fen) * factor).quantize(_ONE_FEN, rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise MoneyError(
            f"比例不正确：{ratio!r}", f"invalid ratio {ratio!r}", code="money_ratio"
        ) from exc
    if not factor.is_finite():
        raise MoneyError(f"比例不正确：{ratio!r}", f"invalid ratio {ratio!r}", code="money_ratio")
    return int(result)


def yuan_decimal_to_fen(amount: Decimal) -> int:
    """Convert a yuan ``Decimal`` (from a Parquet decimal or an XLSX number) to fen, half-up."""
    return int((amount * 100).quantize(_ONE_FEN, rounding=ROUND_HALF_UP))
