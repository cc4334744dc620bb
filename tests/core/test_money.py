"""Money as integer fen: parsing, formatting and half-up rounding, exactly."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core.errors import MoneyError
from wengang.core.money import apply_ratio, fen_to_yuan, parse_yuan, yuan_decimal_to_fen

fen = st.integers(min_value=-(10**15), max_value=10**15)  # up to ten trillion yuan
ratios = st.decimals(min_value=-10, max_value=10, places=6, allow_nan=False,
                     allow_infinity=False)


def exact_half_up(amount: int, ratio: Decimal) -> int:
    """Round amount × ratio half away from zero, in exact rational arithmetic."""
    product = Fraction(amount) * Fraction(ratio)
    magnitude = abs(product)
    whole = int(magnitude)
    if magnitude - whole >= Fraction(1, 2):
        whole += 1
    return whole if product >= 0 else -whole


@settings(max_examples=200)
@given(fen)
def test_formatting_then_parsing_gives_back_the_same_fen(amount):
    assert parse_yuan(fen_to_yuan(amount)) == amount


@settings(max_examples=200)
@given(fen)
def test_grouped_formatting_differs_only_by_commas(amount):
    assert fen_to_yuan(amount, grouping=True).replace(",", "") == fen_to_yuan(amount)


@settings(max_examples=200)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=99),
       st.sampled_from(["", "+", "-"]), st.booleans())
def test_parsing_then_formatting_normalises_to_two_decimals(whole, cents, sign, one_decimal):
    if one_decimal and cents % 10 == 0:
        text = f"{sign}{whole}.{cents // 10}"
    else:
        text = f"{sign}{whole}.{cents:02d}"
    amount = parse_yuan(text)
    assert amount == (-1 if sign == "-" else 1) * (whole * 100 + cents)
    expected = f"{'-' if sign == '-' and amount else ''}{whole}.{cents:02d}"
    assert fen_to_yuan(amount) == expected


@pytest.mark.parametrize(
    ("text", "fen_amount"),
    [("6965.28", 696528), ("0.01", 1), ("-0.01", -1), ("12", 1200), ("12.5", 1250),
     ("+3", 300), ("-0", 0), (" 7.00 ", 700), ("00012", 1200)],
)
def test_well_formed_yuan_strings(text, fen_amount):
    assert parse_yuan(text) == fen_amount


@pytest.mark.parametrize(
    "text",
    ["1.234", "1e3", "1,000", "", "¥5", " ", "5.", ".5", "1 000", "--1", "1.2.3", "0x10",
     "NaN", "inf", "五", "1_000"],
)
def test_malformed_yuan_strings_are_refused(text):
    with pytest.raises(MoneyError) as error:
        parse_yuan(text)
    assert error.value.code == "money_format"
    assert error.value.zh and error.value.en


@pytest.mark.parametrize("value", [None, 12, 1.5, Decimal("1.5")])
def test_parse_yuan_takes_only_text(value):
    with pytest.raises(MoneyError):
        parse_yuan(value)


@pytest.mark.parametrize(
    ("amount", "ratio", "expected"),
    [
        (1, "0.5", 1),  # exactly half a fen rounds up
        (3, "0.5", 2),  # 1.5 → 2 (not banker's rounding to 2 by chance: see 5 × 0.5)
        (5, "0.5", 3),  # 2.5 → 3, where banker's rounding would give 2
        (-1, "0.5", -1),  # half away from zero for refunds clawed back
        (-3, "0.5", -2),
        (-5, "0.5", -3),
        (1, "0.49", 0),
        (696528, "0.5", 348264),
        (696529, "0.5", 348265),
        (100, "0.333", 33),  # 33.3 → 33
        (150, "0.3", 45),
        (5, "0.3", 2),  # 1.5 → 2
        (0, "0.6", 0),
        (12345, 1, 12345),
        (12345, Decimal("0.9"), 11111),  # 11110.5 → 11111
    ],
)
def test_apply_ratio_rounds_half_up_once(amount, ratio, expected):
    assert apply_ratio(amount, ratio) == expected


@settings(max_examples=300)
@given(fen, ratios)
def test_apply_ratio_equals_exact_arithmetic_rounded_half_up(amount, ratio):
    assert apply_ratio(amount, ratio) == exact_half_up(amount, ratio)


@settings(max_examples=200)
@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_half_a_fen_always_rounds_away_from_zero(amount):
    # amount × 0.5 has a fractional part of exactly .5 for every odd amount.
    result = apply_ratio(amount, "0.5")
    if amount % 2:
        assert abs(result) == (abs(amount) + 1) // 2
        assert (result > 0) == (amount > 0)
    else:
        assert result == amount // 2


@pytest.mark.parametrize("ratio", ["NaN", "Infinity", "-Infinity", "1/2", "half", "",
                                   Decimal("NaN"), Decimal("sNaN")])
def test_a_ratio_that_is_not_a_finite_number_is_refused(ratio):
    with pytest.raises(MoneyError) as error:
        apply_ratio(100, ratio)
    assert error.value.code == "money_ratio"


def test_a_float_ratio_counts_as_the_decimal_it_reads_as():
    # YAML policy files give 0.3 as a float; binary 0.3 is 0.29999…, which would turn
    # 5 × 0.3 = 1.5 fen into 1 instead of 2.
    assert apply_ratio(5, 0.3) == 2
    assert apply_ratio(150, 0.3) == 45


def test_a_boolean_is_not_a_ratio():
    with pytest.raises(MoneyError):
        apply_ratio(100, True)


@pytest.mark.parametrize(
    ("amount", "expected"),
    [(Decimal("6965.28"), 696528), (Decimal("0.005"), 1), (Decimal("-0.005"), -1),
     (Decimal("0.004"), 0), (Decimal(12), 1200)],
)
def test_yuan_decimals_convert_to_fen_half_up(amount, expected):
    assert yuan_decimal_to_fen(amount) == expected


@settings(max_examples=200)
@given(fen)
def test_yuan_decimal_of_formatted_fen_is_exact(amount):
    assert yuan_decimal_to_fen(Decimal(fen_to_yuan(amount))) == amount
