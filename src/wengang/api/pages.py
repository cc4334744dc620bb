"""Pages of a long list: ``?page=N&page_size=M``; the answer says how many there are in all."""

from collections.abc import Callable

from django.core.paginator import Paginator
from django.db.models import QuerySet
from ninja import Field, Schema

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class PageIn(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


def page_of(rows: QuerySet, paging: PageIn, shown: Callable) -> dict:
    """One page of ``rows`` (each passed through ``shown``); past the end: no items."""
    paginator = Paginator(rows, paging.page_size)
    items = []
    if paging.page <= paginator.num_pages:
        items = [shown(row) for row in paginator.page(paging.page).object_list]
    return {"count": paginator.count, "page": paging.page, "page_size": paging.page_size,
            "items": items}
