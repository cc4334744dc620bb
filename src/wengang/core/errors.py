"""Errors of the core, each with a stable ``code`` and a message in Chinese and English.

    CoreError
    ├── MoneyError          a money string or amount that cannot be represented exactly
    ├── IdentifierError     a USCC or resident ID that fails its format or check digit
    ├── CalendarError       a working-day question about a year the calendar does not know
    ├── RegionError         a region code that is not a GB/T 2260 code we ship
    └── SizingError         a size table that is malformed
"""


class CoreError(ValueError):
    """Base of every core error; ``str()`` gives the Chinese message, then the English one."""

    code = "core_error"

    def __init__(self, zh: str, en: str, *, code: str | None = None) -> None:
        self.zh = zh
        self.en = en
        if code is not None:
            self.code = code
        super().__init__(f"{zh} / {en}")


class MoneyError(CoreError):
    code = "money"


class IdentifierError(CoreError):
    code = "identifier"


class CalendarError(CoreError):
    code = "calendar"


class RegionError(CoreError):
    code = "region"


class SizingError(CoreError):
    code = "sizing"
