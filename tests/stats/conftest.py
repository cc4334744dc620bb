"""A small hand-built scenario whose every figure can be worked out on paper.

Nanchang (360100): 东湖区 360102 and 青山湖区 360111; Jingdezhen (360200): 昌江区 360202. All
cases were screened on 2020-04-15. ``EXPECTED`` in test_kpis.py is computed by hand from the
table below (days: screening → approved → payable → paid).

    unit  county  program    size    ind  elig insured amount     state           paid on (days)
    A     360102  inclusive  small   13   yes  10      1,000.00   paid            05-06 (5+10+6=21)
    B     360102  inclusive  micro   52   yes  4         500.00   paid            05-11 (7+14+5=26)
    C     360111  inclusive  medium  13   yes  120    10,000.00   paid            05-12 (9+14+4=27)
    D     360111  inclusive  small   70   yes  30      2,000.00   payable         —
    E     360102  inclusive  small   13   yes  8         300.00   payment_failed  — (failed)
    F     360111  inclusive  large   13   no   500         0.00   withdrawn       —
    G     360102  difficult  small   13   yes  20      3,000.00   paid            05-06 (2+10+9=21)
    H     360202  inclusive  small   61   yes  50      4,000.00   paid            05-20 (5+10+20=35)
"""

import itertools
from dataclasses import dataclass
from datetime import date, datetime

import pytest
from django.test import Client

from tests.screening.builder import make_uscc
from wengang.accounts.models import Role, User
from wengang.cases.models import (
    AccountKind,
    Case,
    ReviewBatch,
    ReviewTask,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.core.clock import CHINA, clock
from wengang.outreach.models import Notice
from wengang.payments.models import (
    Budget,
    PayingAccount,
    Payment,
    PaymentBatch,
    Receivable,
    ReceivableEntry,
)

TODAY = date(2020, 5, 20)
NANCHANG, DONGHU, QINGSHANHU = "360100", "360102", "360111"
JINGDEZHEN, CHANGJIANG, JIANGXI = "360200", "360202", "360000"
_numbers = itertools.count(1)


def officer_user(name: str, role: str, region: str = NANCHANG, **extra) -> User:
    """A user of ``role`` in ``region`` (no password: the pages' tests log in directly)."""
    return User.objects.create_user(name, password=None, role=role, region_code=region, **extra)


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def at(day: str, hour: int = 10, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(),
                            tzinfo=CHINA).replace(hour=hour, minute=minute)


@dataclass
class Scenario:
    officer: User
    cases: dict[str, Case]
    users: dict[str, User]


@pytest.fixture(autouse=True)
def fixed_today():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture(autouse=True)
def empty_cache():
    """Pages cache figures per summary-table version; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _case(run, label, county, program, size, industry, eligible, insured, amount_fen, state,
          approved_on=None, payable_on=None, **extra) -> Case:
    number = next(_numbers)
    uscc = make_uscc(number, county)
    account = sealed_account_fields("6222000011112222", AccountKind.BANK, owner=uscc)
    now = clock.now()
    unit = Unit.objects.create(uscc=uscc, name=f"统计测试单位{label}", unit_type="enterprise",
                               region_code=county, industry_code=industry, size=size,
                               contact_phone=f"138{number:08d}", updated_at=now, **account)
    return Case.objects.create(
        unit=unit, program=program, program_kind=program.split("-")[0], refund_year=2020,
        state=state, route="automatic", size=size, eligible=eligible, amount_fen=amount_fen,
        insured=insured, explanation="测试", opened_by_run=run, screening_run=run,
        approved_on=approved_on, payable_on=payable_on, state_changed_at=now, created_at=now,
        updated_at=now, **account, **extra)


@pytest.fixture
def scenario(db) -> Scenario:
    officer = User.objects.create_user("stats-officer", password=None, role=Role.AGENCY,
                                       region_code=NANCHANG)
    run = ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="5" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=NANCHANG, programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=at("2020-04-15"), rows=0, record={})
    d = date.fromisoformat
    inc, dif = "inclusive-2020", "difficult-2020"
    cases = {
        "A": _case(run, "A", DONGHU, inc, "small", "13", True, 10, 100_000, State.PAID,
                   d("2020-04-20"), d("2020-04-30")),
        "B": _case(run, "B", DONGHU, inc, "micro", "5211", True, 4, 50_000, State.PAID,
                   d("2020-04-22"), d("2020-05-06")),
        "C": _case(run, "C", QINGSHANHU, inc, "medium", "13", True, 120, 1_000_000, State.PAID,
                   d("2020-04-24"), d("2020-05-08")),
        "D": _case(run, "D", QINGSHANHU, inc, "small", "70", True, 30, 200_000, State.PAYABLE,
                   d("2020-04-28"), d("2020-05-12")),
        "E": _case(run, "E", DONGHU, inc, "small", "13", True, 8, 30_000, State.PAYMENT_FAILED,
                   d("2020-04-28"), d("2020-05-12")),
        "F": _case(run, "F", QINGSHANHU, inc, "large", "13", False, 500, 0, State.WITHDRAWN,
                   closed_reason="rescreen_ineligible"),
        "G": _case(run, "G", DONGHU, dif, "small", "13", True, 20, 300_000, State.PAID,
                   d("2020-04-17"), d("2020-04-27")),
        "H": _case(run, "H", CHANGJIANG, inc, "small", "61", True, 50, 400_000, State.PAID,
                   d("2020-04-20"), d("2020-04-30")),
    }
    now = clock.now()
    budgets = {}
    for region, program in ((NANCHANG, inc), (NANCHANG, dif), (JINGDEZHEN, inc)):
        budgets[(region, program)] = Budget.objects.create(
            region_code=region, program=program, year=2020, created_at=now, created_by=officer)
    paying = {region: PayingAccount.objects.create(
        region_code=region, holder_name="社保局", account_number=f"3605{region}", bank_name="建行")
        for region in (NANCHANG, JINGDEZHEN)}
    # (case, settled at, status): A settles half an hour after midnight China time, which is
    # still the day before in UTC: the paid day must be the Chinese one.
    payments = (("A", at("2020-05-06", 0, 30), "paid"), ("B", at("2020-05-11"), "paid"),
                ("C", at("2020-05-12"), "paid"), ("E", at("2020-05-13"), "failed"),
                ("G", at("2020-05-06"), "paid"), ("H", at("2020-05-20"), "paid"))
    for sequence, (label, settled_at, status) in enumerate(payments, start=1):
        case = cases[label]
        region = NANCHANG if case.unit.region_code.startswith("3601") else JINGDEZHEN
        batch = PaymentBatch.objects.create(
            paying_account=paying[region], budget=budgets[(region, case.program)],
            program=case.program, status="approved", message_id=f"MSG{sequence}",
            execution_date=settled_at.date(), created_at=now, created_by=officer,
            exported_at=now, csv_sha256="a" * 64, xml_sha256="b" * 64)
        Payment.objects.create(
            batch=batch, sequence=1, case=case, unit=case.unit, end_to_end_id=f"E2E{sequence}",
            case_state_before="payable", gross_fen=case.amount_fen, amount_fen=case.amount_fen,
            status=status, payee_name=case.unit.name, settled_at=settled_at,
            failure_reason="账户已销户" if status == "failed" else "", **case.account_fields())
        # Settled payments live in reconciled batches; one takes no new payment once exported.
        PaymentBatch.objects.filter(pk=batch.pk).update(status="reconciled")
    # Notices: A delivered by SMS; B's SMS failed but its inbox message arrived; C's SMS is
    # still pending; E's SMS was sent. Reached: A, B, E.
    for label, channel, status in (("A", "sms", "delivered"), ("B", "sms", "failed"),
                                   ("B", "inbox", "delivered"), ("C", "sms", "pending"),
                                   ("E", "sms", "sent")):
        case = cases[label]
        Notice.objects.create(unit=case.unit, case=case, topic="eligible_automatic",
                              channel=channel, recipient="contact" if channel == "sms" else "unit",
                              amount_fen=case.amount_fen, status=status, next_attempt_at=now,
                              created_at=now)
    # Receivables: A owes 400.00 and repaid 150.00; C owed 600.00, repaid 100.00, 500.00 written off.
    for label, amount, entries in (("A", 40_000, [("repayment", 15_000)]),
                                   ("C", 60_000, [("repayment", 10_000), ("write_off", 50_000)])):
        case = cases[label]
        receivable = Receivable.objects.create(
            unit=case.unit, case=case, budget=budgets[(NANCHANG, inc)], source="audit_finding",
            reason="审计发现", amount_fen=amount, due_on=date(2020, 6, 30), raised_at=now,
            raised_by=officer, settled_fen=sum(fen for _kind, fen in entries))
        for kind, fen in entries:
            ReceivableEntry.objects.create(receivable=receivable, kind=kind, amount_fen=fen, at=now,
                                           actor=officer, reference="凭证",
                                           approver=officer if kind == "write_off" else None)
    # Joint review: batch 1 due 05-15 (tax decided 23:50 that day: on time; market at 00:10 the
    # next day China time — still the 15th in UTC — late; finance never); batch 2 due 05-20,
    # both pending. Jingdezhen's tax office decided its batch on time.
    def batch(region, opened, due, decisions):
        made = ReviewBatch.objects.create(region_code=region, program=inc,
                                          departments=list(decisions), opened_on=d(opened),
                                          due_on=d(due), opened_by=officer, opened_at=now)
        for department, decided_at in decisions.items():
            ReviewTask.objects.create(batch=made, department=department, due_on=made.due_on,
                                      status="agreed" if decided_at else "pending",
                                      decided_at=decided_at)
    batch(NANCHANG, "2020-05-12", "2020-05-15",
          {"tax": at("2020-05-15", 23, 50), "market": at("2020-05-16", 0, 10), "finance": None})
    batch(NANCHANG, "2020-05-18", "2020-05-20", {"tax": None, "market": None})
    batch(JINGDEZHEN, "2020-05-12", "2020-05-15", {"tax": at("2020-05-14")})
    return Scenario(officer=officer, cases=cases, users={"officer": officer})


# --- The training subsidies (培训补贴): another fund, counted apart -----------------------------
#
# Persons P1–P6 and unit U1 (以工代训), their cases (one per beneficiary × program × year) and
# claim items. ``EXPECTED_TRAINING`` in test_training.py is worked out from this table.
#
#   case  who  county  program      items (subject, level, yuan)     elig  state           payments
#   O1    P1   360102  online       course 576.00                    yes   paid            paid 2020-05-11
#   C1    P1   360102  certificate  L4 1,500.00 + L3 2,000.00        yes   paid            paid 2024-06-03
#   O2    P2   360102  online       course 576.00                    yes   paid            returned by the bank
#                                                                                         2020-05-13, paid again
#                                                                                         2020-05-18 00:30 (China)
#   O3    P3   360111  online       course 480.00                    yes   payment_failed  returned 2020-05-13
#   C2    P4   360111  certificate  L5 1,000.00                      yes   payable         —
#   O4    P6   360102  online       course 576.00                    no    withdrawn       —
#   J1    U1   360111  onjob        3 person-months × 500.00         yes   paid            paid 2020-05-12
#   C3    P5   360202  certificate  L4 1,500.00                      yes   paid            paid 2024-06-04
#
# Receivables: O1 576.00 raised and repaid in full; J1 500.00 raised, 200.00 repaid (300.00 open).
# U1 has a notice too (a unit's, with a region): the refunds' notice counts must not see it.

ONLINE, CERTIFICATE, ONJOB = ("training-online-2020", "training-certificate-2024",
                              "training-onjob-2020")
TRAINEE_NAMES = {"P1": "培训甲", "P2": "培训乙", "P3": "培训丙", "P4": "培训丁", "P5": "培训戊",
                 "P6": "培训己"}


@dataclass
class TrainingCity:
    officer: User
    persons: dict[str, object]
    resident_ids: dict[str, str]
    unit: Unit
    cases: dict[str, Case]


def _explanation(subject: str, level: int | None, fen: int) -> str:
    yuan = f"{fen // 100:,}.00"
    if subject == "certificate":
        return f"符合条件：6-18-01-01 {level} 级证书（2024-03-01 核发）补贴标准 {yuan} 元；累计参保 30 个月"
    if subject == "roster_month":
        return f"符合条件：以工代训 1 人月，补贴标准 {yuan} 元"
    return f"符合条件：2020-03-02 完成线上培训课程《电工基础》48 学时 ≥ 40 学时；补贴 {yuan} 元"


@pytest.fixture
def training(db) -> TrainingCity:
    from tests.web.person_builder import make_person
    from wengang.cases.models import ClaimItem, item_key

    officer = User.objects.create_user("stats-training-officer", password=None, role=Role.AGENCY,
                                       region_code=NANCHANG)
    run = ScreeningRun.objects.create(
        result_sha256="6" * 64, record_sha256="7" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=NANCHANG, programs=[ONLINE, CERTIFICATE, ONJOB],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=at("2020-04-15"), rows=0, record={})
    persons, ids = {}, {}
    for label, county in (("P1", DONGHU), ("P2", DONGHU), ("P3", QINGSHANHU),
                          ("P4", QINGSHANHU), ("P5", CHANGJIANG), ("P6", DONGHU)):
        persons[label], ids[label] = make_person(region=county, name=TRAINEE_NAMES[label],
                                                 phone=f"1390000000{label[1]}")
    number = next(_numbers)
    uscc = make_uscc(number, QINGSHANHU)
    account = sealed_account_fields("6222000033334444", AccountKind.BANK, owner=uscc)
    now = clock.now()
    unit = Unit.objects.create(uscc=uscc, name="以工代训测试单位", unit_type="enterprise",
                               region_code=QINGSHANHU, industry_code="13", size="small",
                               contact_phone=f"138{number:08d}", updated_at=now, **account)
    d = date.fromisoformat
    # label: (beneficiary, program, subject, [(level, fen)], eligible, state, refund year)
    table = {
        "O1": ("P1", ONLINE, "course_completion", [(None, 57_600)], True, State.PAID, 2020),
        "C1": ("P1", CERTIFICATE, "certificate", [(4, 150_000), (3, 200_000)], True, State.PAID,
               2024),
        "O2": ("P2", ONLINE, "course_completion", [(None, 57_600)], True, State.PAID, 2020),
        "O3": ("P3", ONLINE, "course_completion", [(None, 48_000)], True, State.PAYMENT_FAILED,
               2020),
        "C2": ("P4", CERTIFICATE, "certificate", [(5, 100_000)], True, State.PAYABLE, 2024),
        "O4": ("P6", ONLINE, "course_completion", [(None, 57_600)], False, State.WITHDRAWN, 2020),
        "J1": ("U1", ONJOB, "roster_month", [(None, 50_000)] * 3, True, State.PAID, 2020),
        "C3": ("P5", CERTIFICATE, "certificate", [(4, 150_000)], True, State.PAID, 2024),
    }
    cases = {}
    for label, (who, program, subject, items, eligible, state, year) in table.items():
        person = persons.get(who)
        amount = sum(fen for _level, fen in items) if eligible else 0
        extra = {"closed_reason": "rescreen_ineligible"} if state == State.WITHDRAWN else {}
        if state in (State.PAID, State.PAYABLE, State.PAYMENT_FAILED):
            extra |= {"approved_on": d(f"{year}-04-20"), "payable_on": d(f"{year}-05-06")}
        beneficiary = ({"person": person, **person.account_fields()} if person
                       else {"unit": unit, **account})
        case = Case.objects.create(
            program=program, program_kind="training", refund_year=year, state=state,
            route="automatic", size="unknown" if person else "small", eligible=eligible,
            amount_fen=amount, explanation="测试", opened_by_run=run, screening_run=run,
            state_changed_at=now, created_at=now, updated_at=now, **beneficiary, **extra)
        trainee = person or persons["P3"]  # U1 trained P3: its months name them
        for n, (level, fen) in enumerate(items, start=1):
            record = (f"ZS{label}{n}" if subject == "certificate"
                      else f"{uscc}/2020-{n:02d}" if subject == "roster_month"
                      else f"zxpx/{label}{n}")
            ClaimItem.objects.create(
                case=case, program=program, subject=subject, record=record, person=trainee,
                amount_fen=fen, dated=d(f"{year}-03-0{n}"), level=level,
                item_key=item_key(subject, record, trainee.resident_id_digest),
                explanation=_explanation(subject, level, fen), run=run, created_at=now)
        cases[label] = case
    budgets = {program: Budget.objects.create(region_code=NANCHANG, program=program, year=year,
                                              created_at=now, created_by=officer)
               for program, year in ((ONLINE, 2020), (CERTIFICATE, 2024), (ONJOB, 2020))}
    # A paying account of the province: the refunds' scenario holds the cities' own.
    paying = PayingAccount.objects.create(region_code=JIANGXI, holder_name="社保局",
                                          account_number="3605-training", bank_name="建行")
    payments = (("O1", at("2020-05-11"), "paid"), ("C1", at("2024-06-03"), "paid"),
                ("O2", at("2020-05-13"), "failed"), ("O2", at("2020-05-18", 0, 30), "paid"),
                ("O3", at("2020-05-13"), "failed"), ("J1", at("2020-05-12"), "paid"),
                ("C3", at("2024-06-04"), "paid"))
    for sequence, (label, settled_at, status) in enumerate(payments, start=1):
        case = cases[label]
        batch = PaymentBatch.objects.create(
            paying_account=paying, budget=budgets[case.program], program=case.program,
            status="approved", message_id=f"TRAIN{sequence}", execution_date=settled_at.date(),
            created_at=now, created_by=officer, exported_at=now, csv_sha256="c" * 64,
            xml_sha256="d" * 64)
        Payment.objects.create(
            batch=batch, sequence=1, case=case, unit=case.unit, person=case.person,
            end_to_end_id=f"TE2E{sequence}", case_state_before="payable",
            gross_fen=case.amount_fen, amount_fen=case.amount_fen, status=status,
            payee_name=case.beneficiary_name, settled_at=settled_at,
            failure_reason="账户已销户" if status == "failed" else "", **case.account_fields())
        PaymentBatch.objects.filter(pk=batch.pk).update(status="reconciled")
    for label, amount, repaid in (("O1", 57_600, 57_600), ("J1", 50_000, 20_000)):
        case = cases[label]
        receivable = Receivable.objects.create(
            unit=case.unit, person=case.person, case=case, budget=budgets[case.program],
            source="audit_finding", reason="审计发现", amount_fen=amount,
            due_on=date(2020, 6, 30), raised_at=now, raised_by=officer, settled_fen=repaid)
        ReceivableEntry.objects.create(receivable=receivable, kind="repayment", amount_fen=repaid,
                                       at=now, actor=officer, reference="凭证")
    Notice.objects.create(unit=unit, case=cases["J1"], topic="eligible_automatic", channel="sms",
                          recipient="contact", amount_fen=cases["J1"].amount_fen,
                          status="delivered", next_attempt_at=now, created_at=now)
    return TrainingCity(officer=officer, persons=persons, resident_ids=ids, unit=unit,
                        cases=cases)
