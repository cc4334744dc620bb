"""Errors of screening.

    ScreeningError (a CoreError: zh + en message, stable ``code``)
    ├── InputError      the feed folder or snapshot cannot be read as the contract says
    └── OutputError     the result cannot be written where asked
"""

from wengang.core.errors import CoreError


class ScreeningError(CoreError):
    code = "screening"


class InputError(ScreeningError):
    code = "screening_input"


class OutputError(ScreeningError):
    code = "screening_output"
