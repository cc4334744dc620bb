"""Identifiers: USCC (GB 32100) and resident ID (GB 11643) format, check digits and masks."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core.errors import IdentifierError
from wengang.core.ids import (
    USCC_ALPHABET,
    mask_account,
    mask_phone,
    mask_resident_id,
    resident_id_check_char,
    uscc_check_char,
    validate_resident_id,
    validate_uscc,
)

USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PRINTABLE = [chr(c) for c in range(32, 127)] + ["Ｏ", "中", "\n"]

uscc_head = st.text(alphabet=USCC_ALPHABET, min_size=2, max_size=2)
uscc_region = st.text(alphabet="0123456789", min_size=6, max_size=6)
uscc_body = st.text(alphabet=USCC_ALPHABET, min_size=9, max_size=9)


@st.composite
def valid_usccs(draw) -> str:
    first17 = draw(uscc_head) + draw(uscc_region) + draw(uscc_body)
    return first17 + uscc_check_char(first17)


@st.composite
def valid_resident_ids(draw) -> str:
    region = draw(st.integers(min_value=110000, max_value=999999))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 1, 1)))
    sequence = draw(st.integers(min_value=0, max_value=999))
    first17 = f"{region}{born:%Y%m%d}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


def test_the_uscc_weights_are_units_mod_31_so_every_single_change_is_caught():
    # 31 is prime and no weight is a multiple of it: changing one character changes the
    # weighted sum by weight × difference, never 0 mod 31.
    assert all(weight % 31 for weight in USCC_WEIGHTS)
    assert len(USCC_ALPHABET) == 31


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_published_example_usccs_are_accepted(code):
    assert validate_uscc(code) == code


@pytest.mark.parametrize("first17", ["N2360100MA35XXXXX", "Y1110000MA0000000", "A1360102ABCDEFGH1"])
def test_usccs_beginning_with_a_letter_are_accepted_when_the_check_char_is_right(first17):
    # Farmers' cooperatives (N…) and other registrars (Y…) start with a letter; stdnum's own
    # validate() refuses them, ours must not.
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    wrong = USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1) % 31]
    with pytest.raises(IdentifierError):
        validate_uscc(first17 + wrong)


@settings(max_examples=200)
@given(valid_usccs())
def test_generated_usccs_are_accepted(code):
    assert validate_uscc(code) == code


@settings(max_examples=200)
@given(valid_usccs(), st.integers(min_value=0, max_value=17), st.sampled_from(PRINTABLE))
def test_any_single_character_change_of_a_uscc_is_rejected(code, position, replacement):
    changed = code[:position] + replacement + code[position + 1:]
    if changed == code:
        return
    with pytest.raises(IdentifierError) as error:
        validate_uscc(changed)
    assert error.value.code in ("uscc_format", "uscc_check")


@pytest.mark.parametrize("position", range(18))
def test_every_position_of_a_uscc_is_protected(position):
    code = "91350100M000100Y43"
    for replacement in USCC_ALPHABET:
        changed = code[:position] + replacement + code[position + 1:]
        if changed != code:
            with pytest.raises(IdentifierError):
                validate_uscc(changed)


@pytest.mark.parametrize(
    "bad",
    ["", "91350100M000100Y4", "91350100M000100Y433", "91350100m000100y43", "913501O0M000100Y43",
     "91350100M000100Y43\n", " 91350100M000100Y43", "91A50100M000100Y43", None, 91350100],
)
def test_malformed_usccs_are_rejected(bad):
    with pytest.raises(IdentifierError) as error:
        validate_uscc(bad)
    assert error.value.code == "uscc_format"


def test_a_wrong_check_char_names_the_expected_one():
    with pytest.raises(IdentifierError) as error:
        validate_uscc("91350100M000100Y44")
    assert error.value.code == "uscc_check"
    assert "expected 3" in error.value.en


@settings(max_examples=200)
@given(valid_resident_ids())
def test_generated_resident_ids_are_accepted(number):
    assert validate_resident_id(number, today=date(2026, 1, 1)) == number


@settings(max_examples=200)
@given(valid_resident_ids(), st.integers(min_value=0, max_value=17),
       st.sampled_from(PRINTABLE))
def test_any_single_character_change_of_a_resident_id_is_rejected(number, position,
                                                                   replacement):
    # Mod 11-2 weights are powers of 2 mod the prime 11, so every digit change moves the sum.
    changed = number[:position] + replacement + number[position + 1:]
    if changed == number:
        return
    with pytest.raises(IdentifierError):
        validate_resident_id(changed)


@pytest.mark.parametrize(
    "birth", ["19900230", "19901301", "19900001", "19900132", "18991231", "20230229"]
)
def test_resident_ids_with_impossible_birth_dates_are_rejected(birth):
    first17 = f"360102{birth}123"
    number = first17 + resident_id_check_char(first17)  # a correct check digit all the same
    with pytest.raises(IdentifierError) as error:
        validate_resident_id(number)
    assert error.value.code == "resident_id_birth_date"


def test_a_birth_date_after_today_is_rejected_only_when_today_is_given():
    tomorrow = date(2026, 5, 2)
    first17 = f"360102{tomorrow:%Y%m%d}123"
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number) == number
    with pytest.raises(IdentifierError):
        validate_resident_id(number, today=tomorrow - timedelta(days=1))
    assert validate_resident_id(number, today=tomorrow) == number


def test_a_leap_day_birth_is_accepted():
    first17 = "36010220000229123"
    number = first17 + resident_id_check_char(first17)
    assert validate_resident_id(number) == number


@pytest.mark.parametrize(
    "bad", ["", "36010219900101123", "3601021990010112345", "060102199001011234",
            "36010219900101123x", "36010219900101123X\n", None],
)
def test_malformed_resident_ids_are_rejected_without_echoing_the_number(bad):
    with pytest.raises(IdentifierError) as error:
        validate_resident_id(bad)
    assert error.value.code == "resident_id_format"
    if isinstance(bad, str) and len(bad) > 8:
        assert bad[6:-2] not in str(error.value)


def test_an_x_check_digit_is_accepted():
    first17 = "11010519491231002"
    assert resident_id_check_char(first17) == "X"
    assert validate_resident_id(first17 + "X") == first17 + "X"


def test_masks_hide_the_middle():
    assert mask_resident_id("360102199001011234") == "360102********1234"
    assert mask_phone("13800380012") == "138****0012"
    assert mask_account("6222021234567890") == "****7890"
    assert mask_account("123") == "****"
    assert mask_phone("12") == "**"
    assert "19900101" not in mask_resident_id("3601021990010112")  # a malformed length


@settings(max_examples=200)
@given(valid_resident_ids())
def test_a_masked_id_keeps_region_and_last_four_only(number):
    masked = mask_resident_id(number)
    assert masked[:6] == number[:6] and masked[-4:] == number[-4:]
    assert masked[6:14] == "*" * 8
