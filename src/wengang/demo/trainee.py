"""The demo's trainee: a skills-training subsidy walked beside the refunds, one person in view.

``wengang walkthrough RESULT --persons PERSONS`` loads the person screening result (the synthetic
training population of ``wengang synth-training``, screened by ``wengang screen-persons``) on
the first simulated day; the training cases then go through the walkthrough's own steps —
notified with the units, reviewed by the agency alone (a training batch has no department),
published, payable, paid with the city's payments — and ``Trainee`` prints, at each step, where
one trainee's case stands: the person as lists show them (``张*三``, ``360102********1234``),
their items and the amount, the notice they were sent, the payment and the bank's answer.
Django is set up by the walkthrough before any of this is imported.
"""

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from wengang.accounts.models import User
from wengang.cases.models import Case, ClaimItem
from wengang.cases.services import approve_batch, timeline
from wengang.core.ids import mask_phone
from wengang.core.money import fen_to_yuan
from wengang.outreach.models import Notice, Recipient
from wengang.payments.models import Payment

TRAINING_PROGRAM = "training-online-2020"
"""The demo's person program: online vocational training, its campaign year the demo's 2020."""


@dataclass
class Trainee:
    """The one trainee the demo follows (their first case by number)."""

    case_id: int
    console: Console
    last_notice: int = 0

    @classmethod
    def load(cls, result: Path, *, actor: User, region_code: str,
             console: Console) -> "Trainee | None":
        """Load the person screening result; pick the region's first training case that can
        go all the way: a card account to pay into and a phone to log in with."""
        from wengang.cases.loading_persons import load_person_screening

        summary = load_person_screening(result, actor=actor)
        console.print(f"  培训补贴：{summary.rows:,} 条记录，{summary.eligible_rows:,} 条符合，"
                      f"新立案 {summary.opened:,} 件，补贴明细 {summary.items_added:,} 项 / "
                      "training subsidies loaded")
        case = (Case.objects.in_region(region_code).for_program(TRAINING_PROGRAM).of_persons()
                .exclude(account_sealed="").exclude(person__phone="").order_by("pk").first())
        if case is None:
            console.print("  [yellow]没有符合条件的学员 / no eligible trainee[/yellow]")
            return None
        trainee = cls(case.pk, console)
        trainee.introduce()
        return trainee

    def case(self) -> Case:
        return Case.objects.select_related("person").get(pk=self.case_id)

    def introduce(self) -> None:
        case = self.case()
        person = case.person
        self.console.print(f"  [bold]学员 / trainee[/bold] {person.name_masked}（"
                           f"{person.resident_id_masked}）：{case.get_state_display()}，补贴 "
                           f"¥{fen_to_yuan(case.amount_fen, grouping=True)}")
        for item in ClaimItem.objects.filter(case=case).order_by("dated", "pk"):
            self.console.print(f"    {item.dated} {item.get_subject_display()} {item.record}："
                               f"{item.explanation}")

    def step(self, what: str) -> Case:
        """Print where the trainee's case stands after ``what``."""
        case = self.case()
        last = timeline(case)[-1]
        self.console.print(f"  学员 {case.person.name_masked}：{what} → "
                           f"[bold]{case.get_state_display()}[/bold]（{last.get_action_display()}）")
        return case

    def told(self) -> None:
        """The messages the trainee was sent since the last call (the inbox, the outbox file)."""
        for notice in (Notice.objects.filter(case_id=self.case_id, recipient=Recipient.PERSON,
                                             pk__gt=self.last_notice)
                       .exclude(text="").order_by("pk")):
            to = f" → {mask_phone(notice.address)}" if notice.address else ""
            self.console.print(f"    {notice.get_channel_display()}{to}：{notice.text.splitlines()[0]}")
            self.last_notice = notice.pk

    def paid(self) -> None:
        """The payment: its batch, the account (masked), the bank's answer."""
        case = self.case()
        for event in timeline(case):
            if event.action in ("payment_started", "paid", "payment_failed"):
                self.console.print(f"  学员 {case.person.name_masked}：{event.get_action_display()} → "
                                   f"[bold]{event.get_state_after_display()}[/bold]")
        for payment in Payment.objects.filter(case=case).select_related("batch").order_by("pk"):
            self.console.print(f"    拨付批次 #{payment.batch_id}（{payment.batch.message_id}）"
                               f"第 {payment.sequence} 笔：¥{fen_to_yuan(payment.amount_fen, grouping=True)}"
                               f" → {payment.payee_name[:1]}* {payment.account_masked}，"
                               f"{payment.get_status_display()}")


def approve_training_batches(batches, *, actor: User) -> int:
    """Approve the review batches with no department to ask (the training programs' default):
    the agency's own review. Return how many cases were approved."""
    return sum(approve_batch(batch, actor=actor) for batch in batches
               if not batch.tasks.exists())
