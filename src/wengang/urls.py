from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from wengang.web.access import public
from wengang.zones.routing import mount

urlpatterns = [
    # The admin has no login of its own: only the staff login (password + TOTP) gets anyone in.
    path("admin/login/", public(RedirectView.as_view(pattern_name="web:staff-login")),
         name="admin-login"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("wengang.api.urls")),
    path("outreach/", include("wengang.outreach.urls")),
    path("stats/", include("wengang.stats.urls")),
    path("", include("wengang.web.urls")),
]

# Two-zone deployment (docs/two-zone.md): the internet instance serves the portal and public
# pages, the intranet everything else; a single instance (the default) serves all of it.
urlpatterns = mount(urlpatterns)
