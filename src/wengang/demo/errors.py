"""Errors of the synthetic-city generator, each with a stable ``code`` and a bilingual message.

    SynthError
    ├── SynthSpecError      the city asked for cannot be made (bad size, region, year, date)
    └── SynthFormatError    the output format cannot hold the city (XLSX for a large city)
"""


from wengang.core.errors import CoreError


class SynthError(CoreError):
    """Base of the generator's errors; ``str()`` gives the Chinese message, then the English."""

    code = "synth"


class SynthSpecError(SynthError):
    code = "spec"


class SynthFormatError(SynthError):
    code = "format"
