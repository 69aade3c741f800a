"""The one page shape every list endpoint of /api/v1/ returns.

``?page=1&page_size=50`` → ``{"items": [...], "count": N, "page": 1, "page_size": 50,
"next": "<absolute url of the next page, or null>"}``. Pages are numbered from 1; a page
past the end is empty (not an error), so a client can stop when ``next`` is null.

Callers pass an *ordered* queryset: a page is a slice, and slices of an unordered queryset
may repeat or skip rows between requests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class PageParams(Schema):
    page: int = Field(1, ge=1, description="Page number, from 1.")
    page_size: int = Field(
        DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Items per page (1–200)."
    )


class Page(Schema, Generic[T]):
    items: list[T]
    count: int
    page: int
    page_size: int
    next: str | None


def paginate(
    request: HttpRequest,
    queryset: QuerySet[Any],
    params: PageParams,
    present: Callable[[list[Any]], list[Any]],
) -> dict[str, Any]:
    """Slice ``queryset`` to the requested page and shape it with ``present``.

    ``present`` gets the whole page at once so it can batch lookups (such as the caller's
    role on each board) instead of querying row by row.
    """
    count = queryset.count()
    start = (params.page - 1) * params.page_size
    rows = list(queryset[start : start + params.page_size]) if start < count else []
    items = present(rows)
    has_next = start + params.page_size < count
    return {
        "items": items,
        "count": count,
        "page": params.page,
        "page_size": params.page_size,
        "next": page_url(request, params.page + 1) if has_next else None,
    }


def page_url(request: HttpRequest, page: int) -> str:
    query = request.GET.copy()
    query["page"] = str(page)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
