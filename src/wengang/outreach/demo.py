"""The demo's outreach steps: tell every unit (and trainee) whose case was found eligible, and
each trainee once paid, with no gateway.

``notify_eligible`` is called by the walkthrough after loading the screening results: the
screened cases are notified through the workflow, and each unit or trainee gets an in-site
message (delivered at once) and a line in the outbox file (what the SMS gateway would have
sent). ``notify_paid_persons`` tells the trainees paid by the bank's return.
"""

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from .channels import OutboxFileGateway, outbox_path
from .models import Channel, Notice, Status, Topic
from .planning import derive, plan
from .sending import send_pending


@dataclass(frozen=True)
class DemoOutreach:
    cases_notified: int
    inbox_delivered: int
    outbox_written: int
    outbox: Path


def notify_eligible(region_code: str, *, console: Console | None = None,
                    outbox: Path | None = None) -> DemoOutreach:
    """Notify the region's screened cases by inbox and outbox file; return what was sent."""
    outbox = outbox or outbox_path()
    summary = plan(channels=[Channel.INBOX, Channel.OUTBOX], region_code=region_code)
    inbox = send_pending(Channel.INBOX)
    written = send_pending(Channel.OUTBOX, gateway=OutboxFileGateway(outbox))
    result = DemoOutreach(cases_notified=summary.notified, inbox_delivered=inbox.sent,
                          outbox_written=written.sent, outbox=outbox)
    if console is not None:
        example = (Notice.objects.filter(channel=Channel.INBOX, status=Status.DELIVERED)
                   .order_by("pk").first())
        console.print(f"  告知 {result.cases_notified:,} 件：站内消息 {result.inbox_delivered:,} 条，"
                      f"短信发件箱 {result.outbox_written:,} 条（{outbox}）")
        if example is not None:
            console.print(f"  例 / e.g.: {example.text.splitlines()[0]}")
    return result


def notify_paid_persons(region_code: str, *, outbox: Path | None = None) -> int:
    """Tell each trainee whose subsidy the bank paid (inbox and outbox); return texts written.

    Only the persons' topic: the units' later notices are left to ``wengang notify``.
    """
    derive(channels=[Channel.INBOX, Channel.OUTBOX], region_code=region_code,
           topics=[Topic.PERSON_PAID])
    send_pending(Channel.INBOX)
    return send_pending(Channel.OUTBOX, gateway=OutboxFileGateway(outbox or outbox_path())).sent
