"""Statistics URLs, included under ``stats/`` by ``wengang.urls``."""

from django.urls import path, re_path

from . import views

app_name = "stats"
MONTH = r"(?P<month>[0-9]{4}-[0-9]{2})"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("public/", views.public_figures, name="public"),
    path("operations/", views.operations, name="operations"),
    path("departments/", views.departments, name="departments"),
    path("training/", views.training, name="training"),
    path("charts/<slug:chart>.xlsx", views.chart_xlsx, name="chart-xlsx"),
    path("refresh/", views.refresh, name="refresh"),
    re_path(rf"^reports/monthly-{MONTH}\.pdf$", views.monthly_pdf, name="monthly-pdf"),
    re_path(rf"^reports/monthly-{MONTH}\.xlsx$", views.monthly_xlsx, name="monthly-xlsx"),
    path("publicity/<int:pk>.pdf", views.publicity_pdf, name="publicity-pdf"),
    path("publicity/<int:pk>.xlsx", views.publicity_xlsx, name="publicity-xlsx"),
    path("rollups/", views.rollups, name="rollups"),
    path("rollups/export.json", views.rollup_export, name="rollup-export"),
]
