"""Errors of the synthetic-city generator, each with a stable ``code`` and a bilingual message.

    SynthError
    ├── SynthSpecError      the city asked for cannot be made (bad size, region, year, date)
    └── SynthFormatError    the output format cannot hold the city (XLSX for a large city)
"""


class SynthError(ValueError):
    """Base of the generator's errors; ``str()`` gives the Chinese message, then the English."""

    code = "synth"

    def __init__(self, zh: str, en: str, *, code: str | None = None) -> None:
        self.zh = zh
        self.en = en
        if code is not None:
            self.code = code
        super().__init__(f"{zh} / {en}")


class SynthSpecError(SynthError):
    code = "spec"


class SynthFormatError(SynthError):
    code = "format"
