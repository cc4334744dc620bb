"""Chinese first, whatever the browser asks for."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class ChineseFirstMiddleware:
    """Drop the browser's Accept-Language before ``LocaleMiddleware`` reads it.

    Our users' browsers are often set to English (a company laptop, a phone bought abroad) while
    the pages, the notices and the legal texts are Chinese: only a choice made on the site (the
    language switch sets the language cookie) turns the pages into English.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
