"""Template filters: money in yuan (the edge where fen become yuan) and program names."""

from django import template

from wengang.core.money import fen_to_yuan

from ..display import program_name as _program_name

register = template.Library()


@register.filter
def yuan(fen: int | None) -> str:
    """``696528`` → ``6,965.28``."""
    return "" if fen is None else fen_to_yuan(int(fen), grouping=True)


@register.filter
def program_name(program_id: str) -> str:
    return _program_name(program_id)
