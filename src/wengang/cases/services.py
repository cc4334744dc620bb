"""The services of cases: what views, the API and the CLI call. Import them from here.

Each is a typed function with keyword-only options that checks the actor, runs in a
transaction and returns the record it made or changed; state changes go through ``workflow``.

    load_screening(result_path, actor=…)                    screening result → units and cases
    notify / notify_many / apply / decline / withdraw       notice and application (workflow)
    expire_applications                                     deadline passed → declined
    reminders_due / record_reminders                        remind before the deadline
    confirmed_decision                                      the refund with confirmed facts
    change_account                                          receiving account, until approval
    open_review_batches / record_decision / approve_batch   joint review
    overdue_tasks / escalate_overdue                        review deadlines
    approve / reject / hold / release                       single-case decisions (workflow)
    open_publicity / file_objection / resolve_objection / close_publicity
    file_late_claim                                         补报
    assign_service_task / complete_service_task             服务专员
    act_on_many                                             the queue's bulk actions
"""

from .bulk import act_on_many
from .late_claims import file_late_claim
from .loading import LoadSummary, load_screening
from .publicity import close_publicity, file_objection, open_publicity, resolve_objection
from .review import (
                     approve_batch,
                     escalate_overdue,
                     open_review_batches,
                     overdue_tasks,
                     record_decision,
)
from .service_officers import assign_service_task, complete_service_task
from .workflow import (
                     Confirmation,
                     apply,
                     approve,
                     change_account,
                     confirmed_decision,
                     decline,
                     expire_applications,
                     hold,
                     notify,
                     notify_many,
                     record_reminders,
                     reject,
                     release,
                     reminders_due,
                     timeline,
                     withdraw,
)

__all__ = [
    "Confirmation", "LoadSummary", "act_on_many", "apply", "approve", "approve_batch", "assign_service_task",
    "change_account", "close_publicity", "complete_service_task", "confirmed_decision",
    "decline", "escalate_overdue", "expire_applications", "file_late_claim", "file_objection",
    "hold", "load_screening", "notify", "notify_many", "open_publicity", "open_review_batches",
    "overdue_tasks", "record_decision", "record_reminders", "reject", "release",
    "reminders_due", "resolve_objection", "timeline", "withdraw",
]
