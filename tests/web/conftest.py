"""A small city for web tests: people of every role, and cases at the steps the pages show.

Nanchang (360100) with a county (东湖区 360102), and Jingdezhen (360200) as the other city.
"""

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime

import pytest

from tests.screening.builder import make_uscc
from wengang.accounts.models import Department, Role, User
from wengang.cases.models import (
    AccountKind,
    Case,
    CommitmentText,
    LateClaim,
    Person,
    PublicityBatch,
    PublicityItem,
    ReviewBatch,
    ReviewItem,
    ReviewTask,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.cases.publicity import write_listing
from wengang.core.clock import CHINA, clock
from wengang.oversight.models import SamplePlan
from wengang.payments.models import Budget, PayingAccount, PaymentBatch
from wengang.web.models import ScreeningJob

from .person_builder import make_person, make_person_case, person_user

TODAY = date(2020, 4, 30)  # inside the publicity period below (29 April – 8 May 2020)
CITY, COUNTY, OTHER_CITY = "360100", "360102", "360200"
EXPLANATION = ("符合条件：2019年实缴失业保险费 119,450.00 元 × 返还比例 100% = 119,450.00 元；"
               "裁员率 0.00% ≤ 5.5%；2019年足额缴费 12 个月")

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_today():
    with clock.frozen(TODAY):
        yield TODAY


@pytest.fixture
def run(db) -> ScreeningRun:
    return ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="1" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=CITY, programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 10, tzinfo=CHINA), rows=0, record={})


@pytest.fixture
def make_case(run):
    """A case made directly in ``state`` (creation, not a transition: nothing moves a state)."""
    def make(state: str = State.SCREENED, *, region_code: str = COUNTY, route: str = "application",
             amount_fen: int = 11_945_000, phone: str | None = None, **fields) -> Case:
        number = next(_numbers)
        uscc = make_uscc(number, region_code)
        account = sealed_account_fields("6222000011112222", AccountKind.BANK, owner=uscc)
        now = clock.now()
        unit = Unit.objects.create(
            uscc=uscc, name=f"测试单位{number}", unit_type="enterprise", region_code=region_code,
            industry_code="13", size="small", contact_phone=phone or f"138{number:08d}",
            updated_at=now, **account)
        if state in (State.APPROVED, State.IN_PUBLICITY, State.PAYABLE):
            fields.setdefault("approved_on", date(2020, 4, 20))
        if state == State.AWAITING_APPLICATION:
            fields.setdefault("apply_by", date(2020, 5, 29))
        return Case.objects.create(
            unit=unit, program="inclusive-2020", program_kind="inclusive", refund_year=2020,
            state=state, route=route, size="small", eligible=True, amount_fen=amount_fen,
            insured=25, explanation=EXPLANATION, opened_by_run=run, screening_run=run,
            state_changed_at=now, created_at=now, updated_at=now, **account, **fields)
    return make


@pytest.fixture
def commitment_text(db) -> CommitmentText:
    text, _ = CommitmentText.objects.get_or_create(
        version="2020-1", defaults={"title": "失业保险稳岗返还承诺书",
                                    "text": "本单位郑重承诺所提供信息真实有效。",
                                    "valid_from": date(2020, 1, 1)})
    return text


def _user(username: str, role: str, region: str = CITY, **extra) -> User:
    # No password: hashing costs most of a second and these users are logged in directly.
    return User.objects.create_user(username, password=None, role=role, region_code=region, **extra)


@dataclass
class World:
    """Who is who, and the records each page is about."""

    users: dict[str, User | None]
    own_case: Case          # the enterprise's case, awaiting its confirmation (东湖区)
    other_case: Case        # another unit's case in Jingdezhen
    published_case: Case    # in the running publicity list (东湖区)
    publicity_batch: PublicityBatch
    review_batch: ReviewBatch
    review_case: Case
    tax_task: ReviewTask
    market_task: ReviewTask
    other_batch: ReviewBatch  # a batch of Jingdezhen
    other_task: ReviewTask
    screening_job: ScreeningJob  # started by the city's officer, still queued
    late_claim: LateClaim         # the enterprise's, waiting for the next full run
    payment_batch: PaymentBatch   # the city's, an empty draft (no payments, no budget used)
    sample_plan: SamplePlan       # the city's spot check, assigned to the auditor (no items)
    extra: dict = field(default_factory=dict)

    def person_case(self) -> Case:
        """The trainee's (``users["person"]``) subsidy, made at the first call: other tests'
        counts of cases stay those of the units above."""
        if "person_case" not in self.extra:
            trainee = Person.objects.get(resident_id_digest=self.users["person"].resident_id_digest)
            self.extra["person_case"] = make_person_case(trainee, self.own_case.opened_by_run)
        return self.extra["person_case"]


@pytest.fixture
def world(db, make_case, commitment_text) -> World:
    own = make_case(State.AWAITING_APPLICATION)
    other = make_case(State.AWAITING_APPLICATION, region_code=OTHER_CITY)
    published = make_case(State.IN_PUBLICITY, route="automatic")
    in_review = make_case(State.IN_REVIEW, route="automatic")
    other_review = make_case(State.IN_REVIEW, route="automatic", region_code=OTHER_CITY)
    users: dict[str, User | None] = {
        "anonymous": None,
        "enterprise": _user(f"ent-{own.unit.uscc}", Role.ENTERPRISE, COUNTY, uscc=own.unit.uscc),
        "other_enterprise": _user(f"ent-{other.unit.uscc}", Role.ENTERPRISE, OTHER_CITY,
                                  uscc=other.unit.uscc),
        "agency": _user("officer", Role.AGENCY),
        "other_agency": _user("officer-jdz", Role.AGENCY, OTHER_CITY),
        "supervisor": _user("supervisor", Role.SUPERVISOR),
        "department": _user("tax", Role.DEPARTMENT, department=Department.TAX),
        "finance": _user("finance", Role.FINANCE, department=Department.FINANCE),
        "auditor": _user("auditor", Role.AUDITOR),
        "service_officer": _user("service", Role.SERVICE_OFFICER),
        "admin": _user("admin", Role.ADMIN, "", is_staff=True, is_superuser=True),
    }
    trainee, _number = make_person()
    users["person"] = person_user(trainee)
    now = clock.now()
    publicity = PublicityBatch.objects.create(
        region_code=CITY, program="inclusive-2020", start_on=date(2020, 4, 29),
        end_on=date(2020, 5, 8), workdays=5, opened_by=users["agency"], opened_at=now)
    PublicityItem.objects.create(batch=publicity, case=published)
    write_listing(publicity)  # as open_publicity does: the public list's rows

    def batch(region: str, case: Case, departments: list[str]) -> tuple[ReviewBatch, list[ReviewTask]]:
        opener = users["agency"] if region == CITY else users["other_agency"]
        made = ReviewBatch.objects.create(
            region_code=region, program="inclusive-2020", departments=departments,
            opened_on=date(2020, 4, 27), due_on=date(2020, 4, 29), opened_by=opener,
            opened_at=now)
        ReviewItem.objects.create(batch=made, case=case)
        return made, [ReviewTask.objects.create(batch=made, department=d, due_on=made.due_on)
                      for d in departments]

    review_batch, (tax_task, market_task) = batch(CITY, in_review, ["tax", "market"])
    other_batch, (other_task,) = batch(OTHER_CITY, other_review, ["tax"])
    job = ScreeningJob.objects.create(started_by=users["agency"], started_at=now, region_code=CITY,
                                      snapshot_id="0" * 64, programs=["inclusive-2020"],
                                      as_of=date(2020, 4, 15))
    claim = LateClaim.objects.create(
        uscc=own.unit.uscc, program="difficult-2020", refund_year=2020, region_code=COUNTY,
        unit=own.unit, claimant_name="张三", contact_phone="13800000000", filed_at=now,
        filed_by=users["enterprise"], channel="online")
    paying = PayingAccount.objects.create(region_code=CITY, holder_name="南昌市社会保险事业管理局",
                                          account_number="36050100000000001234",
                                          bank_name="中国建设银行南昌分行")
    budget = Budget.objects.create(region_code=CITY, program="inclusive-2020", year=2020,
                                   created_at=now, created_by=users["finance"])
    payment_batch = PaymentBatch.objects.create(
        paying_account=paying, budget=budget, program="inclusive-2020", message_id="WG-TEST-1",
        execution_date=TODAY, created_at=now, created_by=users["agency"])
    plan = SamplePlan.objects.create(
        program="inclusive-2020", refund_year=2020, region_code=CITY, method="simple", size=1,
        seed=1, states="payable", population=0, population_sha256="0" * 64,
        auditor=users["auditor"], created_by=users["supervisor"], created_at=now)
    return World(users=users, own_case=own, other_case=other, published_case=published,
                 publicity_batch=publicity,
                 review_batch=review_batch, review_case=in_review, tax_task=tax_task,
                 market_task=market_task, other_batch=other_batch, other_task=other_task,
                 screening_job=job, late_claim=claim, payment_batch=payment_batch,
                 sample_plan=plan)
