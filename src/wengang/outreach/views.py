"""Small public endpoints: delivery receipts from gateways, and the short links in notices."""

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from wengang.web.access import public

from . import receipts
from .errors import OutreachError


@public
@csrf_exempt  # a gateway posts here, not a browser: the HMAC signature is the check
@require_POST
def receipt(request: HttpRequest, gateway: str) -> HttpResponse:
    """Take delivery receipts signed with the gateway's secret (``X-Wengang-Signature``)."""
    secret = os.environ.get("WENGANG_OUTREACH_SMS_SECRET", "")
    try:
        if not secret:
            raise receipts.SignatureInvalid(gateway)
        receipts.verify(gateway=gateway, secret=secret,
                        timestamp=request.headers.get("X-Wengang-Timestamp", ""),
                        signature=request.headers.get("X-Wengang-Signature", ""),
                        body=request.body)
        changed = receipts.apply(receipts.parse(gateway, request.body))
    except OutreachError as error:
        status = 403 if error.code == "signature_invalid" else 400
        return JsonResponse({"code": error.code, "zh": error.zh, "en": error.en}, status=status)
    return JsonResponse({"changed": changed})


@public
@require_GET
def short_link(request: HttpRequest, code: str) -> HttpResponse:
    """``/outreach/c/<base-36 case id>`` → the case's confirmation page (login required there).

    No lookup here: the portal answers 404 for a case that is not the visitor's, so probing
    short links tells nobody which cases exist.
    """
    return redirect("web:portal-confirm", pk=int(code, 36))


@public
@require_GET
def person_short_link(request: HttpRequest, code: str) -> HttpResponse:
    """``/outreach/p/<base-36 case id>`` → the person's subsidy page (as ``short_link``: no
    lookup; the persons' portal answers 404 for a case that is not the visitor's)."""
    return redirect("web:person-case", pk=int(code, 36))
