"""Identifiers: unified social credit codes (GB 32100) and resident ID numbers (GB 11643).

Check digits come from python-stdnum; the format rules are ours, because stdnum's own
``validate`` rejects real codes (USCCs starting with a letter, IDs whose county code changed
after the birth year) and accepts impossible birth dates.
"""

import re
from datetime import date

from stdnum.cn import ric, uscc

from .errors import IdentifierError

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_FORMAT = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\Z")
_RESIDENT_ID_FORMAT = re.compile(r"^[1-9][0-9]{16}[0-9X]\Z")
_EARLIEST_BIRTH = date(1900, 1, 1)


def uscc_check_char(first17: str) -> str:
    """The 18th character of a USCC whose first 17 characters are given."""
    return uscc.calc_check_digit(first17)


def validate_uscc(code: str) -> str:
    """Return the code if it is a well-formed USCC with a correct check character, else raise."""
    if not isinstance(code, str) or not _USCC_FORMAT.match(code):
        raise IdentifierError(
            f"统一社会信用代码格式不正确：{code!r}（应为18位，不含I、O、Z、S、V，第3–8位为行政区划代码）",
            f"malformed unified social credit code {code!r}: 18 characters without I, O, Z, S, V; "
            "characters 3-8 are a region code",
            code="uscc_format",
        )
    expected = uscc_check_char(code[:17])
    if code[17] != expected:
        raise IdentifierError(
            f"统一社会信用代码校验位错误：{code}（末位应为 {expected}）",
            f"wrong check character in unified social credit code {code} (expected {expected})",
            code="uscc_check",
        )
    return code


def resident_id_check_char(first17: str) -> str:
    """The 18th character of a resident ID whose first 17 digits are given."""
    return ric.calc_check_digit(first17 + "0")


def validate_resident_id(number: str, *, today: date | None = None) -> str:
    """Return the number if it is a well-formed 18-digit resident ID, else raise.

    The birth date must exist, not precede 1900 and not lie after ``today`` (when given).
    """
    if not isinstance(number, str) or not _RESIDENT_ID_FORMAT.match(number):
        raise IdentifierError(
            f"身份证号码格式不正确：{_mask(number)}（应为18位，末位可为X）",
            f"malformed resident ID {_mask(number)}: 18 digits, the last may be X",
            code="resident_id_format",
        )
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        born = None
    if born is None or born < _EARLIEST_BIRTH or (today is not None and born > today):
        raise IdentifierError(
            f"身份证号码中的出生日期不存在：{_mask(number)}",
            f"resident ID {_mask(number)} has an impossible birth date",
            code="resident_id_birth_date",
        )
    expected = resident_id_check_char(number[:17])
    if number[17] != expected:
        raise IdentifierError(
            f"身份证号码校验位错误：{_mask(number)}",
            f"wrong check digit in resident ID {_mask(number)}",
            code="resident_id_check",
        )
    return number


def _mask(value: object) -> str:
    """Errors must not leak a full ID number into logs: keep the first 6 and last 2 characters."""
    text = str(value)
    return text[:6] + "*" * max(0, len(text) - 8) + text[-2:] if len(text) > 8 else "*" * len(text)


def mask_resident_id(number: str) -> str:
    """``360102199001011234`` → ``360102********1234``: for lists and notices."""
    return number[:6] + "********" + number[-4:] if len(number) == 18 else _mask(number)


def mask_phone(phone: str) -> str:
    """``13800380012`` → ``138****0012`` (as the login page shows it)."""
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else _mask(phone)


def mask_account(account: str) -> str:
    """Show only the last four digits of a bank account: ``****1234``."""
    return "****" + account[-4:] if len(account) > 4 else "****"
