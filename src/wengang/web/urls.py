"""The four web faces: public pages, the enterprise portal, the staff console, department review."""

from django.urls import path

from . import console, login, portal, public, publicity, review

app_name = "web"

urlpatterns = [
    path("", public.home, name="public-home"),
    path("publicity/", public.publicity, name="public-publicity"),
    path("publicity.xlsx", public.publicity_xlsx, name="public-publicity-xlsx"),
    path("publicity/<int:pk>/objection/", public.objection, name="public-objection"),

    path("portal/login/", login.enterprise_login, name="enterprise-login"),
    path("portal/login/code/", login.enterprise_code, name="enterprise-code"),
    path("portal/", portal.home, name="portal-home"),
    path("portal/cases/<int:pk>/", portal.case_detail, name="portal-case"),
    path("portal/cases/<int:pk>/confirm/", portal.confirm, name="portal-confirm"),

    path("console/login/", login.staff_login, name="staff-login"),
    path("console/login/totp/", login.staff_totp, name="staff-totp"),
    path("console/login/enrol/", login.staff_enrol, name="staff-enrol"),
    path("console/", console.home, name="console-home"),
    path("console/cases/", console.queue, name="console-queue"),
    path("console/cases.xlsx", console.queue_xlsx, name="console-queue-xlsx"),
    path("console/cases/<int:pk>/", console.case_detail, name="console-case"),
    path("console/cases/<int:pk>/reveal/", console.reveal, name="console-reveal"),
    path("console/review/", console.batches, name="console-batches"),
    path("console/review/open/", console.open_batches, name="console-open-batches"),
    path("console/review/<int:pk>/", console.batch_detail, name="console-batch"),
    path("console/publicity/", publicity.batches, name="console-publicity"),
    path("console/publicity/open/", publicity.open_batch, name="console-publicity-open"),
    path("console/publicity/<int:pk>/", publicity.batch_detail, name="console-publicity-batch"),
    path("console/publicity/<int:pk>/close/", publicity.close_batch,
         name="console-publicity-close"),
    path("console/objections/<int:pk>/resolve/", publicity.resolve_objection,
         name="console-objection-resolve"),

    path("review/", review.tasks, name="review-tasks"),
    path("review/tasks/<int:pk>/", review.task_detail, name="review-task"),

    path("logout/", login.logout_view, name="logout"),
]
