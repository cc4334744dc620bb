"""The demo: a synthetic city (``synth``) whose feed set drives the end-to-end scenario.

    from wengang.demo import CitySpec, write_city
    summary = write_city(CitySpec(units=20_000, seed=2020), "var/demo/feeds")
"""

from .errors import SynthError, SynthFormatError, SynthSpecError
from .spec import CitySpec
from .synth import CitySummary, write_city

__all__ = ["CitySpec", "CitySummary", "SynthError", "SynthFormatError", "SynthSpecError",
           "write_city"]
