"""Template filters of the statistics pages."""

from django import template

from ..charts import RATE, display

register = template.Library()


@register.filter
def percent(value) -> str:
    """A fraction as a percentage with two decimals: ``Decimal("0.6667")`` → ``66.67%``."""
    return display(value, RATE)
