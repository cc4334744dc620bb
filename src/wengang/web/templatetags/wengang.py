"""Template filters: money in yuan (the edge where fen become yuan), program, size and route names,
the label of a record's choice (its state, an event's action)."""

from functools import cache

from django import template
from django.db.models import Field, Model
from django.utils.encoding import force_str

from wengang.core.money import fen_to_yuan

from ..display import program_name as _program_name
from ..display import route_name, size_name

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """``696528`` → ``6,965.28``."""
    return "" if fen is None else fen_to_yuan(int(fen), grouping=True)


@register.filter
def program_name(program_id: str) -> str:
    return _program_name(program_id)


@register.filter
def size_label(size: str) -> str:
    return size_name(size)


@register.filter
def route_label(route: str) -> str:
    return route_name(route)


@register.filter
def get_item(mapping: dict, key: str):
    return mapping.get(key)


@register.filter
def subtract(value: int, other: int) -> int:
    return value - other


@cache
def _choice_labels(field: Field) -> dict:
    """The field's labels by value (lazy: each is translated when shown, in the page's language)."""
    return dict(field.flatchoices)


@register.filter
def display(record: Model, field_name: str) -> str | None:
    """``record.get_<field>_display()`` from a table kept per field — the one way templates show a
    choice's label. Django's makes every choice hashable on each call, translating every label to
    show one (~0.1 ms for a case's state; the console's queue shows two a row, the portal's case
    card one per event). A value without a label shows as itself; None stays None (``default``)."""
    field = record._meta.get_field(field_name)
    value = getattr(record, field.attname)
    return force_str(_choice_labels(field).get(value, value), strings_only=True)
