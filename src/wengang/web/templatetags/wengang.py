"""Template filters: money in yuan (the edge where fen become yuan), program, size and route names."""

from django import template

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
