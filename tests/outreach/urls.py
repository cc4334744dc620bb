"""The project's URLs plus outreach's, as ``wengang.urls`` will include them."""

from django.urls import include, path

from wengang.urls import urlpatterns as project

urlpatterns = [*project, path("outreach/", include("wengang.outreach.urls"))]
