"""A small intranet for the exchange tests: one enterprise's case awaiting its confirmation, one
published case, a trainee's skills-training subsidy with one claim item, the commitment letter
and an officer — each case with the "opened" event a screening load writes (the exchange
collects cases by their events).

Used by the fixtures (``conftest``) and, in the intranet's own process, by the two-instance
test (``wengang manage shell -c "from tests.zones.world import seed; seed()"``).
"""

from datetime import date, datetime

from tests.screening.builder import make_uscc
from wengang.accounts.models import Role, User
from wengang.cases.models import (
    AccountKind,
    Action,
    Case,
    CaseEvent,
    Channel,
    ClaimItem,
    CommitmentText,
    Person,
    PublicityBatch,
    PublicityItem,
    ScreeningRun,
    State,
    Unit,
    item_key,
    sealed_account_fields,
)
from wengang.cases.models.common import sealed_resident_id_fields
from wengang.cases.publicity import write_listing
from wengang.cases.sealing import resident_id_digest
from wengang.core.clock import CHINA, clock
from wengang.core.ids import resident_id_check_char

TODAY = date(2020, 4, 30)  # inside the publicity period below (29 April – 8 May 2020)
CITY, COUNTY = "360100", "360102"
OWN_USCC, PUBLISHED_USCC = make_uscc(1, COUNTY), make_uscc(2, COUNTY)  # valid check digits
ACCOUNT = "6222000011112222"
EXPLANATION = "符合条件：2019年实缴失业保险费 10,000.00 元 × 返还比例 100% = 10,000.00 元"
PERSON_ID = "36010219900101901" + resident_id_check_char("36010219900101901")
PERSON_NAME, PERSON_PHONE, PERSON_ACCOUNT = "张三丰", "13900390012", "6217000012345678"
CERTIFICATE = "S000036010200901"
ITEM_EXPLANATION = ("符合条件：2020-03-02 完成线上培训课程《电工基础》48 学时 ≥ 40 学时；"
                    "补贴标准 12.00 元/学时 × 48 学时 = 576.00 元")


def _case(run: ScreeningRun, uscc: str, name: str, state: str, route: str, **fields) -> Case:
    now = clock.now()
    account = sealed_account_fields(ACCOUNT, AccountKind.BANK, owner=uscc)
    unit = Unit.objects.create(uscc=uscc, name=name, unit_type="enterprise", region_code=COUNTY,
                               industry_code="13", size="small", contact_phone="13800138000",
                               bank_name="中国工商银行南昌分行", updated_at=now, **account)
    case = Case.objects.create(
        unit=unit, program="inclusive-2020", program_kind="inclusive", refund_year=2020,
        state=state, route=route, size="small", eligible=True, amount_fen=1_000_000, insured=25,
        explanation=EXPLANATION, opened_by_run=run, screening_run=run, state_changed_at=now,
        created_at=now, updated_at=now, **account, **fields)
    CaseEvent.objects.create(case=case, at=now, action=Action.OPENED, state_before="",
                             state_after=state, channel=Channel.SYSTEM, run=run,
                             actor_label="筛查")
    return case


def _person_case(run: ScreeningRun) -> Case:
    now = clock.now()
    digest = resident_id_digest(PERSON_ID)
    person = Person.objects.create(
        name=PERSON_NAME, phone=PERSON_PHONE, region_code=COUNTY, insured=True,
        insured_months=36, updated_at=now, **sealed_resident_id_fields(PERSON_ID, owner=digest),
        **sealed_account_fields(PERSON_ACCOUNT, AccountKind.SI, owner=digest))
    case = Case.objects.create(
        person=person, program="training-online-2020", program_kind="training",
        refund_year=2020, state=State.NOTIFIED, route="automatic", size="unknown",
        eligible=True, amount_fen=57_600, explanation=ITEM_EXPLANATION, opened_by_run=run,
        screening_run=run, state_changed_at=now, created_at=now, updated_at=now,
        **person.account_fields())
    ClaimItem.objects.create(
        case=case, program=case.program, subject="certificate", record=CERTIFICATE,
        person=person, amount_fen=57_600, dated=date(2020, 3, 2),
        item_key=item_key("certificate", CERTIFICATE, digest), explanation=ITEM_EXPLANATION,
        run=run, created_at=now)
    CaseEvent.objects.create(case=case, at=now, action=Action.OPENED, state_before="",
                             state_after=State.NOTIFIED, channel=Channel.SYSTEM, run=run,
                             actor_label="筛查")
    return case


def seed() -> dict:
    """Make the world; return the ids the tests need."""
    run = ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="1" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=CITY, programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 10, tzinfo=CHINA), rows=2, record={})
    officer = User.objects.create_user("officer", password=None, role=Role.AGENCY,
                                       region_code=CITY)
    CommitmentText.objects.get_or_create(version="2020-1", defaults={  # a migration seeds it
        "title": "失业保险稳岗返还承诺书", "text": "本单位郑重承诺所提供信息真实有效。",
        "valid_from": date(2020, 1, 1)})
    own = _case(run, OWN_USCC, "南昌测试机械有限公司", State.AWAITING_APPLICATION, "application",
                apply_by=date(2020, 5, 29))
    published = _case(run, PUBLISHED_USCC, "南昌公示电子有限公司", State.IN_PUBLICITY, "automatic",
                      approved_on=date(2020, 4, 20))
    batch = PublicityBatch.objects.create(
        region_code=CITY, program="inclusive-2020", start_on=date(2020, 4, 29),
        end_on=date(2020, 5, 8), workdays=5, opened_by=officer, opened_at=clock.now())
    PublicityItem.objects.create(batch=batch, case=published)
    write_listing(batch)
    person_case = _person_case(run)
    return {"own_case": own.pk, "published_case": published.pk, "batch": batch.pk,
            "officer": officer.username, "person_case": person_case.pk}



def publish_person_case(case_id: int) -> int:
    """Put the trainee's subsidy on a list of its own, as ``open_publicity`` leaves it (state,
    event, item, public row); return the list's id."""
    case = Case.objects.get(pk=case_id)
    Case.objects.filter(pk=case.pk).update(state=State.IN_PUBLICITY, approved_on=date(2020, 4, 28),
                                           version=case.version + 1)
    CaseEvent.objects.create(case=case, at=clock.now(), action=Action.PUBLICITY_STARTED,
                             state_before=case.state, state_after=State.IN_PUBLICITY,
                             channel=Channel.CONSOLE, actor_label="经办")
    batch = PublicityBatch.objects.create(
        region_code=CITY, program=case.program, start_on=date(2020, 4, 29),
        end_on=date(2020, 5, 8), workdays=5, opened_by=User.objects.get(username="officer"),
        opened_at=clock.now())
    PublicityItem.objects.create(batch=batch, case=case)
    write_listing(batch)
    return batch.pk
