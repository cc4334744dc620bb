"""The demo: a synthetic city (``synth``) whose feed set drives the end-to-end scenario.

    from wengang.demo import CitySpec, write_city
    summary = write_city(CitySpec(units=20_000, seed=2020), "var/demo/feeds")

The generator (numpy, Polars) loads on first use, so commands that only need the walkthrough
start quickly.
"""

from importlib import import_module

from .errors import SynthError, SynthFormatError, SynthSpecError

_LAZY = {"CitySpec": ".spec", "CitySummary": ".synth", "write_city": ".synth"}

__all__ = ["CitySpec", "CitySummary", "SynthError", "SynthFormatError", "SynthSpecError",
           "write_city"]


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
