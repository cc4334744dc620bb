"""Publicity: the region's publicity batches (console), and the current list for everyone."""

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.cases import services
from wengang.cases.models import Channel, Objection, PublicityBatch
from wengang.core.money import fen_to_yuan
from wengang.web.access import BATCH_ROLES, DECIDER_ROLES
from wengang.web.display import program_name
from wengang.web.public import current_listing

from .auth import allow, user_of
from .models import Scope
from .pages import PageIn, page_of
from .schemas import (
    ACTION_ERRORS,
    ERRORS,
    ErrorOut,
    PublicItemPage,
    PublicityBatchOut,
    PublicityBatchPage,
)

router = Router(tags=["publicity 公示"])


class PublicSearch(Schema):
    q: str = Field("", max_length=64, description="part of a unit's name, or the start of its code")


def _batch(batch) -> dict:
    return {"id": batch.pk, "region_code": batch.region_code, "program": batch.program,
            "start_on": batch.start_on, "end_on": batch.end_on, "workdays": batch.workdays,
            "status": batch.status, "cases": batch.n, "open_objections": batch.open_objections}


def _item(row) -> dict:
    """A row of the public list (``PublicityListing``), as the public page shows it."""
    return {"case_id": row.case_id, "unit_name": row.name, "uscc": row.code,
            "program": row.program, "program_name": program_name(row.program),
            "amount_fen": row.amount_fen, "amount_yuan": fen_to_yuan(row.amount_fen),
            "start_on": row.batch.start_on, "end_on": row.batch.end_on}


@router.get("/publicity/batches", response={200: PublicityBatchPage, **ERRORS},
            operation_id="list_publicity_batches", summary="Publicity batches of your region")
@allow(*BATCH_ROLES, scope=Scope.PUBLICITY_READ)
def list_publicity_batches(request: HttpRequest, paging: Query[PageIn]):
    batches = (PublicityBatch.objects.visible_to(user_of(request))
               .annotate(n=Count("items", distinct=True),
                         open_objections=Count("objections", distinct=True,
                                               filter=Q(objections__status=Objection.Status.OPEN)))
               .order_by("status", "-start_on", "-id"))
    return page_of(batches, paging, _batch)


class OpenPublicityIn(Schema):
    program: str = Field(min_length=1, max_length=32, description="e.g. inclusive-2020")


@router.post("/publicity/batches", response={200: PublicityBatchOut, **ACTION_ERRORS},
             operation_id="open_publicity",
             summary="Publish the region's approved cases for the publicity period (as the console)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def open_publicity(request: HttpRequest, body: OpenPublicityIn):
    user = user_of(request)
    batch = services.open_publicity(actor=user, region_code=user.region_code,
                                    program=body.program, channel=Channel.API)
    listed = PublicityBatch.objects.filter(pk=batch.pk).annotate(
        n=Count("items", distinct=True),
        open_objections=Count("objections", distinct=True,
                              filter=Q(objections__status=Objection.Status.OPEN))).get()
    return _batch(listed)


@router.get("/public/publicity", auth=None, response={200: PublicItemPage, 422: ErrorOut},
            operation_id="list_public_publicity",
            summary="The publicity lists running today: public, no login (as the public page)")
def list_public_publicity(request: HttpRequest, search: Query[PublicSearch],
                          paging: Query[PageIn]):
    return page_of(current_listing(search.q), paging, _item)
