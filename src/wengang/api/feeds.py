"""The department machine channel for feeds: push a file, see what became of earlier pushes."""

from django.http import HttpRequest
from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from wengang.accounts.models import Role

from .auth import allow, user_of
from .feed_inbox import feeds_for, missing_feeds, push_feed
from .models import FeedPush, Scope
from .schemas import ERRORS, ErrorOut, FeedPushOut, FeedReportOut

router = Router(tags=["feeds 部门数据"])
FEED_SENDERS = (Role.AGENCY, Role.DEPARTMENT)


class FeedInboxOut(Schema):
    region_code: str
    may_push: list[str]
    waiting_for: list[str]
    pushes: list[FeedPushOut]


def _push(push: FeedPush, waiting: list[str]) -> dict:
    return {"id": push.pk, "feed": push.feed, "file_name": push.file_name,
            "outcome": push.outcome, "problems": push.problems, "snapshot_id": push.snapshot_id,
            "waiting_for": waiting, "at": push.at}


@router.post("/feeds/push", response={201: FeedPushOut, 400: ErrorOut, 422: FeedReportOut,
                                      401: ErrorOut, 403: ErrorOut},
             operation_id="push_feed",
             summary="Push one feed file (units.csv, tax.xlsx …) of your department")
@allow(*FEED_SENDERS, scope=Scope.FEEDS_PUSH)
def push(request: HttpRequest, file: File[UploadedFile]):
    push = push_feed(user_of(request), name=file.name or "", data=file.chunks(),
                     token=request.auth.token)
    return Status(201, _push(push, missing_feeds(push.region_code)))


@router.get("/feeds", response={200: FeedInboxOut, **ERRORS}, operation_id="get_feed_inbox",
            summary="Which feeds you may push, what your region still lacks, your last pushes")
@allow(*FEED_SENDERS, scope=Scope.FEEDS_PUSH)
def inbox(request: HttpRequest):
    user = user_of(request)
    waiting = missing_feeds(user.region_code) if user.region_code else []
    pushes = FeedPush.objects.filter(user=user).order_by("-at", "-id")[:50]
    return {"region_code": user.region_code, "may_push": list(feeds_for(user)),
            "waiting_for": waiting, "pushes": [_push(p, waiting) for p in pushes]}
