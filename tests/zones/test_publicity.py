"""Persons' cases on the public list (公示): the internet instance shows their rows as a single
instance does (the name masked, no ID), drops them when the list closes, and sends objections to
them inward like objections to a unit's row."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.models import (
    Case,
    Objection,
    Person,
    PublicityBatch,
    PublicityItem,
    PublicityListing,
    State,
)
from wengang.web.display import program_name
from wengang.zones.envelope import INWARD, OUTWARD, decode, open_field
from wengang.zones.keys import direction_keys
from wengang.zones.models import Submission
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .pages import cells, row
from .payloads import PERSON_CASE, PUBLISHED, objection_payload, person_case_payload
from .world import PERSON_ACCOUNT, PERSON_ID, PERSON_NAME, publish_person_case

pytestmark = pytest.mark.django_db

DIGEST = "d" * 64
PERSON_LIST = 78


def _read(folder) -> list:
    key = direction_keys()[OUTWARD]
    return [decode(path.read_bytes(), key, direction=OUTWARD)
            for path in sorted(folder.glob("outward-*.json"))]


PERSON_ROW = ["张*丰", "", program_name("training-online-2020"), "576.00",
              "2020-04-29 — 2020-05-08", "提出异议"]
"""The trainee's row on the public list: the same on a single instance and the internet copy."""


# --- intranet: what goes out -------------------------------------------------------------------

def test_a_person_s_row_goes_out_with_its_list_masked_and_nothing_in_clear(intranet, world):
    batch = publish_person_case(world["person_case"])
    export()
    messages = _read(intranet / "out")
    lists = {m.payload["id"]: m.payload for m in messages if m.kind == "publicity"}
    assert lists[batch]["cases"] == [world["person_case"]]
    assert lists[batch]["listing"] == [
        [world["person_case"], "张*丰", "", "training-online-2020", 57_600]]
    assert lists[world["batch"]]["cases"] == [world["published_case"]]  # units' lists as before
    text = "".join(p.read_text(encoding="utf-8") for p in (intranet / "out").iterdir())
    person = Person.objects.get()
    for secret in (PERSON_NAME, PERSON_ID, PERSON_ACCOUNT, person.resident_id_sealed,
                   person.account_sealed, person.account_digest):
        assert secret not in text


def test_a_closed_list_goes_out_once_without_its_rows(intranet, world):
    batch = publish_person_case(world["person_case"])
    export()
    services.close_publicity(PublicityBatch.objects.get(pk=batch),
                             actor=User.objects.get(username="officer"), today=date(2020, 5, 11))
    export()
    closing = [m for m in _read(intranet / "out") if m.kind == "publicity"][-1].payload
    assert (closing["id"], closing["status"], closing["cases"], closing["listing"]) == (
        batch, "closed", [], [])
    assert export().collected["publicity"] == 0


def test_an_objection_to_a_person_s_row_is_filed_by_the_intranet_s_publicity(intranet, world):
    publish_person_case(world["person_case"])
    deliver(intranet, INWARD, 1, "objection", objection_payload(world["person_case"]))
    assert import_().applied == [1]
    case = Case.objects.get(pk=world["person_case"])
    assert (case.state, case.hold_kind) == (State.ON_HOLD, "objection")
    objection = Objection.objects.get()
    assert (objection.case_id, objection.objector_contact) == (case.pk, "13912345678")


def test_an_objection_to_a_person_case_not_on_a_running_list_is_refused(intranet, world):
    deliver(intranet, INWARD, 1, "objection", objection_payload(world["person_case"]))
    summary = import_()
    assert summary.applied == [] and "公示" in summary.refused[0][1]
    assert not Objection.objects.exists()
    assert Case.objects.get(pk=world["person_case"]).state == State.NOTIFIED


def test_a_single_instance_lists_the_person_as_the_internet_copy_does(world, client):
    """The row the internet copy must reproduce (see the next test)."""
    publish_person_case(world["person_case"])
    page = client.get(reverse("web:public-publicity")).content.decode()
    assert cells(page, world["person_case"]) == PERSON_ROW and PERSON_NAME not in page


# --- internet: the copy ------------------------------------------------------------------------

def _person_list(status: str, *, rows: bool = True) -> dict:
    return {"id": PERSON_LIST, "region_code": "360100", "program": "training-online-2020",
            "start_on": "2020-04-29", "end_on": "2020-05-08", "workdays": 5,
            "opened_at": "2020-04-28T09:00:00+08:00", "status": status,
            "closed_at": "2020-05-11T09:00:00+08:00" if status == "closed" else None,
            "cases": [PERSON_CASE] if rows else [],
            "listing": [[PERSON_CASE, "张*丰", "", "training-online-2020", 57_600]] if rows else []}


@pytest.fixture
def person_listed(mirrored, internet) -> Client:
    deliver(internet, OUTWARD, 4, "cases", {"cases": [person_case_payload(
        digest=DIGEST, state="in_publicity", approved_on="2020-04-28")]})
    deliver(internet, OUTWARD, 5, "publicity", _person_list("open"))
    assert import_().applied == [4, 5]
    return Client()


def test_a_person_s_row_is_on_the_internet_s_public_list_as_on_a_single_one(person_listed):
    page = person_listed.get(reverse("web:public-publicity")).content.decode()
    assert cells(page, PERSON_CASE) == PERSON_ROW
    assert "南昌公示电子有限公司" in row(page, PUBLISHED)
    found = person_listed.get(reverse("web:public-publicity"), {"q": "张"}).content.decode()
    assert row(found, PERSON_CASE) and not row(found, PUBLISHED)
    sheet = person_listed.get(reverse("web:public-publicity-xlsx"))
    assert sheet.status_code == 200


def test_a_closed_list_leaves_the_internet_copy_and_a_second_delivery_changes_nothing(
        person_listed, internet):
    path = deliver(internet, OUTWARD, 6, "publicity", _person_list("closed", rows=False))
    data = path.read_bytes()
    assert import_().applied == [6]
    page = person_listed.get(reverse("web:public-publicity")).content.decode()
    assert not row(page, PERSON_CASE) and "张*丰" not in page
    assert row(page, PUBLISHED)  # the units' list still runs
    assert not PublicityListing.objects.filter(batch_id=PERSON_LIST).exists()
    assert not PublicityItem.objects.filter(batch_id=PERSON_LIST).exists()
    assert PublicityBatch.objects.get(pk=PERSON_LIST).status == "closed"
    objection = reverse("web:public-objection", kwargs={"pk": PERSON_CASE})
    assert person_listed.get(objection).status_code == 404

    (internet / "in" / path.name).write_bytes(data)  # the gateway delivers it again
    summary = import_()
    assert summary.applied == [] and "重复投递" in summary.quarantined[0][1]
    assert not PublicityListing.objects.filter(batch_id=PERSON_LIST).exists()
    assert PublicityBatch.objects.get(pk=PERSON_LIST).status == "closed"


def test_an_objection_to_a_person_s_row_goes_inward_with_the_contact_sealed(person_listed,
                                                                            internet):
    response = person_listed.post(reverse("web:public-objection", kwargs={"pk": PERSON_CASE}), {
        "objector_name": "李四", "objector_contact": "13912345678", "reason": "未参加该培训"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.kind, submission.case_id, submission.uscc) == (
        "objection", PERSON_CASE, "")
    assert Case.objects.get(pk=PERSON_CASE).state == State.IN_PUBLICITY  # the intranet decides
    export()
    data = (internet / "out" / "inward-000000000001.json").read_bytes()
    assert b"13912345678" not in data
    message = decode(data, direction_keys()[INWARD], direction=INWARD)
    assert (message.kind, message.payload["case"]) == ("objection", PERSON_CASE)
    assert open_field(direction_keys()[INWARD], message.payload["objector_contact"]) == "13912345678"
