"""The four web faces: public pages, the enterprise portal, the staff console, department review."""

from django.urls import path

from . import (
    appeals,
    console,
    feeds,
    login,
    policy,
    portal,
    public,
    publicity,
    review,
    runs,
    service_tasks,
    whatif,
)

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
    path("portal/cases/<int:pk>/appeal/", appeals.file_appeal, name="portal-appeal"),
    path("portal/late-claims/", portal.late_claim, name="portal-late-claim"),
    path("portal/late-claims/<int:pk>/", portal.late_claim_detail,
         name="portal-late-claim-detail"),

    path("console/login/", login.staff_login, name="staff-login"),
    path("console/login/totp/", login.staff_totp, name="staff-totp"),
    path("console/login/enrol/", login.staff_enrol, name="staff-enrol"),
    path("console/", console.home, name="console-home"),
    path("console/cases/", console.queue, name="console-queue"),
    path("console/cases/bulk/", console.bulk, name="console-bulk"),
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
    path("console/appeals/", appeals.appeals, name="console-appeals"),
    path("console/appeals/<int:pk>/answer/", appeals.answer_appeal, name="console-appeal-answer"),
    path("console/service-tasks/", service_tasks.tasks, name="console-service-tasks"),
    path("console/service-tasks/<int:pk>/take/", service_tasks.take,
         name="console-service-task-take"),
    path("console/service-tasks/<int:pk>/complete/", service_tasks.complete,
         name="console-service-task-complete"),
    path("console/screening/", runs.runs, name="console-runs"),
    path("console/screening/start/", runs.start_run, name="console-screening-start"),
    path("console/screening/jobs/<int:pk>/", runs.job_detail, name="console-screening-job"),
    path("console/screening/<int:pk>/", runs.run_detail, name="console-run"),
    path("console/what-if/", whatif.what_if, name="console-what-if"),
    path("console/what-if/<str:token>/comparison.xlsx", whatif.what_if_xlsx,
         name="console-what-if-xlsx"),
    path("console/policy/", policy.programs, name="policy-programs"),
    path("console/policy/<slug:program_id>/", policy.program_detail, name="policy-program"),

    path("feeds/", feeds.upload, name="feed-upload"),

    path("review/", review.tasks, name="review-tasks"),
    path("review/tasks/<int:pk>/", review.task_detail, name="review-task"),

    path("logout/", login.logout_view, name="logout"),
]
