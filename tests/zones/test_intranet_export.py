"""The intranet tells the internet what changed: numbered, signed files holding only what the
portal and the public pages show."""

import json

import pytest

from wengang.cases.models import Case, Unit
from wengang.zones.envelope import INWARD, OUTWARD, decode
from wengang.zones.keys import direction_keys
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .payloads import confirmation_payload
from .world import ACCOUNT

pytestmark = pytest.mark.django_db


def _read(folder) -> list:
    key = direction_keys()[OUTWARD]
    return [decode(path.read_bytes(), key, direction=OUTWARD)
            for path in sorted(folder.glob("outward-*.json"))]


def test_the_first_export_sends_letters_cases_and_the_publicity_list(intranet, world):
    summary = export()
    messages = _read(intranet / "out")
    assert [m.sequence for m in messages] == summary.written == [1, 2, 3]
    assert [m.kind for m in messages] == ["commitment_texts", "cases", "publicity"]
    cases = {c["id"]: c for c in messages[1].payload["cases"]}
    own = cases[world["own_case"]]
    assert (own["state"], own["amount_fen"], own["apply_by"]) == (
        "awaiting_application", 1_000_000, "2020-05-29")
    assert own["unit"]["name"] == "南昌测试机械有限公司"
    assert own["unit"]["account_masked"] and own["account_masked"]
    assert [e["action"] for e in own["events"]] == ["opened"]
    publicity = messages[2].payload
    assert publicity["cases"] == [world["published_case"]]
    assert publicity["listing"][0][1:] == ["南昌公示电子有限公司", Case.objects.get(
        pk=world["published_case"]).unit.uscc, "inclusive-2020", 1_000_000]


def test_no_full_account_number_sealed_value_or_digest_leaves_the_intranet(intranet, world):
    export()
    text = "".join(p.read_text(encoding="utf-8") for p in (intranet / "out").iterdir())
    assert ACCOUNT not in text
    for unit in Unit.objects.all():
        assert unit.account_sealed not in text and unit.account_digest not in text
    for case in Case.objects.all():
        assert case.account_sealed not in text and case.account_digest not in text
    assert '"risk"' not in text  # risk flags are the agency's, not the portal's


def test_an_export_with_nothing_new_writes_nothing(intranet, world):
    assert export().written == [1, 2, 3]
    again = export()
    assert again.written == [] and set(again.collected.values()) == {0}


def test_a_change_sends_the_answer_and_that_case_again_with_the_next_sequences(intranet, world):
    export()
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"], submission=4))
    assert import_().applied == [1]
    summary = export()
    assert summary.written == [4, 5]
    result, cases = _read(intranet / "out")[3:]
    assert (result.kind, result.payload["submission"], result.payload["status"]) == (
        "submission_result", 4, "accepted")
    assert [c["id"] for c in cases.payload["cases"]] == [world["own_case"]]
    snapshot = cases.payload["cases"][0]
    assert (snapshot["state"], snapshot["version"]) == ("applied", 2)
    assert [e["action"] for e in snapshot["events"]] == ["opened", "applied"]


def test_lost_files_can_be_written_again_identically(intranet, world):
    export()
    first = {p.name: json.loads(p.read_bytes()) for p in (intranet / "out").iterdir()}
    for path in (intranet / "out").iterdir():
        path.unlink()
    assert export(resend_from=2).written == [2, 3]
    again = {p.name: json.loads(p.read_bytes()) for p in (intranet / "out").iterdir()}
    assert again == {name: first[name] for name in again}
