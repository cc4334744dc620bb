"""Feed uploads (数据报送) in the browser: the same path as the API's push (``api.feed_inbox``).

An officer or a department reviewer uploads one file of their own feeds; it is checked with the
region's inbox exactly as a pushed file is, and a file with problems is refused with the whole
bilingual validation report (nothing kept, nothing imported).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from wengang.accounts.models import Role
from wengang.api.errors import ApiError
from wengang.api.feed_inbox import FeedPushRejected, feeds_for, missing_feeds, push_feed
from wengang.api.models import FeedPush
from wengang.feeds import FEEDS

from .access import staff_only
from .forms import FeedUploadForm

PROBLEMS_LISTED = 200
"""Problems listed one by one on the page; the counts by kind cover them all."""
PUSHES_LISTED = 20


@staff_only(Role.AGENCY, Role.DEPARTMENT)
def upload(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = FeedUploadForm(request.POST or None, request.FILES or None)
    rejected, status = None, 200
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            pushed = push_feed(user, name=file.name, data=file.chunks())
        except FeedPushRejected as refused:
            rejected, status = refused, 422
        except ApiError as error:  # not a feed, not this department's, no region
            form.add_error("file", str(error))
            status = 400
        else:
            waiting = missing_feeds(pushed.region_code)
            if pushed.snapshot_id:
                messages.success(request, _("%(file)s 校验通过；数据已齐全，已导入快照 %(id)s。") % {
                    "file": pushed.file_name, "id": pushed.snapshot_id})
            else:
                messages.success(request, _("%(file)s 校验通过，已接收；还缺：%(waiting)s。") % {
                    "file": pushed.file_name, "waiting": "、".join(waiting)})
            return redirect("web:feed-upload")
    elif request.method == "POST":
        status = 400
    report = rejected.report if rejected else None
    return render(request, "web/feeds/upload.html", {
        "form": form, "rejected": rejected, "report": report, "problems_listed": PROBLEMS_LISTED,
        "problems": list(zip(report, range(PROBLEMS_LISTED), strict=False)) if report else [],
        "feeds": [FEEDS[name] for name in feeds_for(user)],
        "waiting": [FEEDS[name] for name in missing_feeds(user.region_code)] if user.region_code
        else [],
        "pushes": FeedPush.objects.filter(user=user).order_by("-at", "-id")[:PUSHES_LISTED],
    }, status=status)
