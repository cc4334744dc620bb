"""The audit chain: every record linked by HMAC-SM3; any tampering is found and located."""

import json
from itertools import pairwise

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import authenticate
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.test import Client

from wengang.cases import workflow
from wengang.cases.models import CaseEvent, State
from wengang.core.clock import clock
from wengang.oversight import audit
from wengang.oversight.errors import AuditKeyError
from wengang.oversight.models import GENESIS_MAC, AuditHead, AuditRecord
from wengang.web.models import Disclosure

pytestmark = pytest.mark.django_db

FORGED = ("INSERT INTO oversight_auditrecord (seq, at, actor, action, target, details, source, "
          "prev_mac, mac) SELECT {seq}, at, 'x', 'forged', '', '{{}}', '', mac, mac "
          "FROM oversight_auditrecord WHERE seq = {after}")
"""A record forged without the key: linked to the one before, with a made-up MAC."""


@pytest.fixture
def chain(db):
    """Five records (seq 1–5) of different actions."""
    for n in range(1, 6):
        audit.record(f"test.step{n}", actor="officer", target=f"case:{n}", details={"n": n, "名": "值"})
    return list(AuditRecord.objects.in_chain_order())


def test_each_record_links_to_the_one_before_and_the_head_to_the_last(chain):
    assert [r.seq for r in chain] == [1, 2, 3, 4, 5]
    assert chain[0].prev_mac == GENESIS_MAC
    assert all(later.prev_mac == earlier.mac for earlier, later in pairwise(chain))
    head = AuditHead.objects.get()
    assert (head.seq, head.mac) == (5, chain[-1].mac)
    result = audit.verify()
    assert result.ok and result.records == 5


def test_details_are_stored_as_canonical_json(chain):
    assert chain[0].details == '{"n":1,"名":"值"}'
    assert json.loads(chain[0].details) == {"n": 1, "名": "值"}


def test_the_database_refuses_to_change_a_record(chain):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE oversight_auditrecord SET actor = 'x' WHERE seq = 2")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE oversight_audithead SET seq = 3")
    if connection.vendor == "postgresql":  # SQLite keeps DELETE for Django's test flush
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM oversight_auditrecord WHERE seq = 2")
    assert audit.verify().ok


def test_the_orm_refuses_to_change_a_record_and_names_it(chain):
    """The ORM half of append-only: one error (cases' ``AppendOnly``) naming the audit records."""
    from wengang.cases.errors import AppendOnly

    chain[1].actor = "x"
    for attempt in (chain[1].save, chain[1].delete,
                    lambda: AuditRecord.objects.filter(seq=2).update(actor="x"),
                    lambda: AuditRecord.objects.filter(seq=2).delete(),
                    lambda: AuditRecord.objects.bulk_update([chain[1]], ["actor"])):
        with pytest.raises(AppendOnly, match="审计记录只能追加") as raised:
            attempt()
        assert "audit records are append-only" in raised.value.en
    assert audit.verify().ok


@pytest.mark.parametrize("statements, seq, code", [
    # edited: any field of any record
    (["UPDATE oversight_auditrecord SET details = '{\"n\":99}' WHERE seq = 3"], 3, "mac"),
    (["UPDATE oversight_auditrecord SET actor = 'someone' WHERE seq = 1"], 1, "mac"),
    (["UPDATE oversight_auditrecord SET action = 'test.other' WHERE seq = 5"], 5, "mac"),
    # deleted from the middle
    (["DELETE FROM oversight_auditrecord WHERE seq = 2"], 2, "missing"),
    # swapped: records 2 and 3 exchange places
    (["UPDATE oversight_auditrecord SET seq = -2 WHERE seq = 2",
      "UPDATE oversight_auditrecord SET seq = 2 WHERE seq = 3",
      "UPDATE oversight_auditrecord SET seq = 3 WHERE seq = -2"], 2, "link"),
    # truncated: the last two records cut off (the head still says 5)
    (["DELETE FROM oversight_auditrecord WHERE seq > 3"], 4, "head"),
    # a record added at the end without the key
    ([FORGED.format(seq=6, after=5)], 6, "mac"),
    # a record inserted in the middle: later ones renumbered, the forgery put in at 3
    (["UPDATE oversight_auditrecord SET seq = seq + 100 WHERE seq >= 3",
      "UPDATE oversight_auditrecord SET seq = seq - 99 WHERE seq >= 100",
      FORGED.format(seq=3, after=2)], 3, "mac"),
])
def test_tampering_is_found_at_the_first_broken_record(chain, tamper, statements, seq, code):
    tamper(*statements)
    result = audit.verify()
    assert not result.ok
    assert (result.broken.seq, result.broken.code) == (seq, code)
    assert str(seq) in result.broken.zh and str(seq) in result.broken.en


def test_a_truncation_that_also_rolls_the_head_back_is_caught_by_an_anchor(chain, tamper):
    anchors = audit.verify().anchors
    assert [(a.seq, a.mac) for a in anchors] == [(5, chain[-1].mac)]
    tamper("DELETE FROM oversight_auditrecord WHERE seq > 3",
           f"UPDATE oversight_audithead SET seq = 3, mac = '{chain[2].mac}'")
    assert audit.verify().ok  # consistent on its own: only the off-site anchor knows better
    result = audit.verify(anchors=anchors)
    assert (result.broken.seq, result.broken.code) == (4, "anchor")


def test_anchors_round_trip_through_a_file_and_pin_the_past(chain, tmp_path):
    path = tmp_path / "anchors.json"
    audit.write_anchors(path, audit.verify().anchors)
    anchors = audit.read_anchors(path)
    audit.record("test.later", actor="officer")
    assert audit.verify(anchors=anchors).ok  # the chain grew: the past is unchanged
    forged = [audit.Anchor(anchors[0].day, anchors[0].seq, "f" * 64)]
    result = audit.verify(anchors=forged)
    assert (result.broken.seq, result.broken.code) == (5, "anchor")


def test_one_anchor_per_day_is_the_days_last_record(db):
    from datetime import date

    for day in (date(2020, 4, 28), date(2020, 4, 29), date(2020, 4, 29)):
        with clock.frozen(day):
            audit.record("test.day")
    anchors = audit.verify().anchors
    assert [(a.day, a.seq) for a in anchors] == [(date(2020, 4, 28), 1), (date(2020, 4, 29), 3)]


def test_another_key_is_refused_by_name(chain, monkeypatch):
    monkeypatch.setenv(audit.KEY_ENV, "ab" * 32)
    audit.reset_key()
    try:
        with pytest.raises(AuditKeyError, match="密钥"):
            audit.verify()
        with pytest.raises(AuditKeyError):
            audit.record("test.more")
    finally:
        monkeypatch.undo()
        audit.reset_key()
    assert AuditRecord.objects.count() == 5


@pytest.mark.parametrize("value", ["", "abc", "zz" * 32, "ab" * 31])
def test_a_malformed_key_is_refused_in_production(db, monkeypatch, value):
    monkeypatch.setenv("WENGANG_DEBUG", "0")
    monkeypatch.setenv(audit.KEY_ENV, value)
    audit.reset_key()
    try:
        with pytest.raises(AuditKeyError):
            audit.record("test")
    finally:
        monkeypatch.undo()
        audit.reset_key()
    assert not AuditRecord.objects.exists()


def test_every_case_event_is_chained_once_whichever_way_it_was_written(people, make_case):
    single = make_case(State.IN_PUBLICITY)
    workflow.hold(single, actor=people.agency, reason="共用银行账户")  # CaseEvent.objects.create
    many = [make_case(State.SCREENED) for _ in range(3)]
    workflow.notify_many(single.__class__.objects.filter(pk__in=[c.pk for c in many]),
                         actor=people.agency)  # INSERT … SELECT, no signal
    events = list(CaseEvent.objects.order_by("pk"))
    assert len(events) == 4
    assert audit.absorb() == 4
    assert audit.absorb() == 0
    chained = AuditRecord.objects.filter(source="case_event").order_by("seq")
    assert [r.source_id for r in chained] == [e.pk for e in events]
    first = chained[0]
    assert (first.action, first.actor, first.target) == ("case.held", "officer", f"case:{single.pk}")
    assert json.loads(first.details)["reason"] == "共用银行账户"
    assert audit.verify().ok


def test_a_record_can_be_absorbed_only_once(people, make_case):
    workflow.hold(make_case(State.IN_PUBLICITY), actor=people.agency, reason="核查")
    audit.absorb()
    event = CaseEvent.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        audit.append(audit.Entry(action="case.held", source="case_event", source_id=event.pk))


def test_logins_failed_logins_disclosures_and_admin_changes_are_recorded(people, make_case):
    people.agency.set_password("correct horse battery")
    people.agency.save()
    Client().force_login(people.agency)
    assert authenticate(username="officer", password="wrong") is None
    case = make_case(State.PAYABLE)
    Disclosure.objects.create(user=people.agency, case=case, reason="核对账户", ip="10.0.0.1",
                              at=clock.now())
    LogEntry.objects.log_actions(user_id=people.agency.pk, queryset=[case], action_flag=ADDITION,
                                 change_message="参数调整", single_object=True)
    records = list(AuditRecord.objects.in_chain_order().values_list("action", "actor", "target"))
    assert records == [
        ("login", "officer", f"user:{people.agency.pk}"),
        ("login_failed", "officer", "username:officer"),
        ("pii.disclosed", "officer", f"case:{case.pk}"),
        ("admin.added", "officer", f"cases.case:{case.pk}"),
    ]
    details = json.loads(AuditRecord.objects.get(action="pii.disclosed").details)
    assert details["reason"] == "核对账户" and details["ip"] == "10.0.0.1"
    assert "wrong" not in "".join(AuditRecord.objects.values_list("details", flat=True))
    assert ContentType.objects.exists() and audit.verify().ok


def test_a_missing_head_with_records_left_is_refused(chain, tamper):
    tamper("DELETE FROM oversight_audithead")
    with pytest.raises(audit.ChainHeadMissing):
        audit.record("test.more")
    assert audit.verify().broken.code == "head"


def test_the_cli_exits_2_and_names_the_broken_record(chain, tamper):
    from click.testing import CliRunner

    from wengang.cli import main

    runner = CliRunner()
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0
    tamper("UPDATE oversight_auditrecord SET details = '{}' WHERE seq = 4")
    result = runner.invoke(main, ["audit", "verify"])
    assert result.exit_code == 2
    assert "第 4 号" in result.output and "record 4" in result.output


@pytest.mark.parametrize("statement, code", [
    ("UPDATE cases_caseevent SET reason = '无异议' WHERE id = {event}", "event_changed"),
    ("UPDATE cases_caseevent SET state_after = 'payable' WHERE id = {event}", "event_changed"),
    ("DELETE FROM cases_caseevent WHERE id = {event}", "event_missing"),
])
def test_a_case_event_changed_after_it_was_chained_is_found(people, make_case, tamper,
                                                           statement, code):
    workflow.hold(make_case(State.IN_PUBLICITY), actor=people.agency, reason="共用银行账户")
    workflow.hold(make_case(State.IN_PUBLICITY), actor=people.agency, reason="共用电话")
    audit.absorb()
    assert audit.check_case_events() is None
    second = CaseEvent.objects.order_by("pk").last()
    tamper(statement.format(event=second.pk))
    broken = audit.check_case_events()
    record = AuditRecord.objects.get(source="case_event", source_id=second.pk)
    assert (broken.seq, broken.code) == (record.seq, code)
    assert audit.verify().ok  # the chain itself is intact: only the comparison sees it


def test_events_not_yet_chained_are_not_reported_as_tampering(people, make_case):
    workflow.hold(make_case(State.IN_PUBLICITY), actor=people.agency, reason="核查")
    audit.absorb()
    workflow.hold(make_case(State.IN_PUBLICITY), actor=people.agency, reason="核查")
    assert audit.check_case_events() is None


def test_configuration_changes_are_recorded_with_their_values(people):
    from datetime import date

    from wengang.cases.models import CalendarDay

    day = CalendarDay.objects.create(day=date(2027, 1, 1), kind="holiday", name="元旦",
                                     added_by=people.agency)
    target = f"cases.calendarday:{day.pk}"
    day.name = "元旦节"
    day.save()
    day.delete()
    records = list(AuditRecord.objects.in_chain_order().values_list("action", "actor", "target",
                                                                    "details"))
    assert [r[:3] for r in records] == [("config.added", "officer", target),
                                        ("config.changed", "officer", target),
                                        ("config.deleted", "officer", target)]
    assert json.loads(records[1][3])["values"]["name"] == "元旦节"
    assert json.loads(records[0][3])["values"]["day"] == "2027-01-01"


@pytest.mark.parametrize("length", [149, 150, 151, 5000])
def test_a_failed_login_with_any_name_is_recorded(db, length):
    name = "名" * length
    assert authenticate(username=name, password="wrong") is None
    record = AuditRecord.objects.get(action="login_failed")
    assert record.actor == name[:150] and json.loads(record.details)["username"] == name[:1000]
