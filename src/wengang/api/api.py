"""The REST API (django-ninja, OpenAPI 3.1): its operations, and how refusals are answered.

Every refusal is JSON ``{"code", "message_zh", "message_en"}`` with a stable code: the API's own
errors, the domain's (cases, feeds, core), and ninja's (invalid request, not logged in, CSRF).
The OpenAPI document is ``/api/openapi.json``; the docs page ``/api/docs`` loads Swagger UI
from our static files (no CDN, no inline script: it runs under the site's CSP).
"""

from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from wengang.cases.errors import (
    CaseError,
    ConcurrentChange,
    IllegalTransition,
    NotAllowed,
    PreconditionFailed,
)
from wengang.core.errors import CoreError
from wengang.feeds import FeedSetInvalid
from wengang.payments.errors import BatchStateError, BudgetExceeded

from . import (
    appeals,
    case_actions,
    cases,
    feeds,
    oversight,
    payments,
    portal,
    publicity,
    recovery,
    review,
    screening,
    service_tasks,
    stats,
)
from .auth import AUTH
from .errors import ApiError, NotAuthenticated
from .feed_inbox import FeedPushRejected

REPORT_LISTED = 1000
"""Problems listed one by one in a refused push (the count is always exact)."""

api = NinjaAPI(
    title="稳岗通 wengang API",
    version="1",
    description="失业保险稳岗返还 · unemployment-insurance job-stabilisation refund. "
                "Authenticate with `Authorization: Bearer wg_…` (an API token) or a browser "
                "session (send the CSRF token on POST). See docs/api.md.",
    auth=AUTH,
    urls_namespace="api",
)
for module in (cases, portal, review, publicity, screening, feeds, payments, recovery,
               case_actions, service_tasks, appeals, oversight, stats):
    api.add_router("", module.router)


def _error(request: HttpRequest, status: int, code: str, zh: str, en: str, **extra) -> HttpResponse:
    return api.create_response(request, {"code": code, "message_zh": zh, "message_en": en,
                                         **extra}, status=status)


@api.exception_handler(ApiError)
def api_error(request, error: ApiError):
    return _error(request, error.status, error.code, error.zh, error.en)


@api.exception_handler(CaseError)
def case_error(request, error: CaseError):
    if isinstance(error, NotAllowed):
        status = 403
    elif isinstance(error, IllegalTransition | ConcurrentChange | PreconditionFailed
                    | BatchStateError | BudgetExceeded):  # a batch's step, a budget: not now
        status = 409
    else:
        status = 400
    return _error(request, status, str(error.code), error.zh, error.en)


@api.exception_handler(FeedSetInvalid)
def feed_set_invalid(request, error: FeedSetInvalid):
    listed = [{"file": p.file, "row": p.row, "column": p.column, "value": p.value, "code": p.code,
               "reason_zh": p.zh, "reason_en": p.en}
              for p, _n in zip(error.report, range(REPORT_LISTED), strict=False)]
    push_id = error.push.pk if isinstance(error, FeedPushRejected) else None
    return _error(request, 422, error.code, error.zh, error.en, push_id=push_id,
                  problems=len(error.report), listed=listed)


@api.exception_handler(CoreError)
def core_error(request, error: CoreError):
    return _error(request, 400, error.code, error.zh, error.en)


@api.exception_handler(ValidationError)
def invalid_request(request, error: ValidationError):
    return _error(request, 422, "invalid_request", "请求参数不正确", "the request is not valid",
                  detail=error.errors)


@api.exception_handler(AuthenticationError)
def not_authenticated(request, error: AuthenticationError):
    refused = NotAuthenticated()
    return _error(request, refused.status, refused.code, refused.zh, refused.en)


@api.exception_handler(HttpError)
def http_error(request, error: HttpError):
    if error.status_code == 403:  # ninja's only HttpError here: the session's CSRF check
        return _error(request, 403, "csrf", "CSRF 校验失败：请从页面取得 CSRF 令牌并放在 X-CSRFToken 请求头中",
                      "CSRF check failed: send the page's CSRF token in the X-CSRFToken header")
    return _error(request, error.status_code, "http", str(error), str(error))


@api.exception_handler(Http404)
def not_found(request, error: Http404):
    return _error(request, 404, "not_found", "没有找到", "not found")
