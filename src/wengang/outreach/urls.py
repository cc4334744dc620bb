"""Outreach URLs, included under ``outreach/`` by ``wengang.urls``."""

from django.urls import path, re_path

from . import views

app_name = "outreach"
urlpatterns = [
    path("receipts/<slug:gateway>/", views.receipt, name="receipt"),
    re_path(r"^c/(?P<code>[0-9a-z]{1,12})$", views.short_link, name="short-link"),
    re_path(r"^p/(?P<code>[0-9a-z]{1,12})$", views.person_short_link, name="person-short-link"),
]
