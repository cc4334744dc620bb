"""Database guards that the ORM alone cannot give, and the first commitment letter text.

- ``cases_caseevent`` is append-only: a trigger refuses UPDATE (both databases) and DELETE
  (PostgreSQL). SQLite keeps DELETE possible because Django's test flush empties tables with
  DELETE; the ORM refuses it there (``CaseEventQuerySet.delete``). TRUNCATE, used by
  PostgreSQL's flush, fires no row trigger.
- The commitment letter (承诺书) version ``2020-1``, so the application step works on a fresh
  database; a city adds its own wording as a new version in the admin.
"""

import hashlib
from datetime import date

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION cases_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING MESSAGE = 'cases_caseevent is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE OR DELETE ON cases_caseevent
    FOR EACH ROW EXECUTE FUNCTION cases_caseevent_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS cases_caseevent_append_only ON cases_caseevent;
DROP FUNCTION IF EXISTS cases_caseevent_append_only();
"""
SQLITE_UP = """
CREATE TRIGGER cases_caseevent_append_only BEFORE UPDATE ON cases_caseevent
BEGIN
    SELECT RAISE(ABORT, 'cases_caseevent is append-only: UPDATE refused');
END;
"""
SQLITE_DOWN = "DROP TRIGGER IF EXISTS cases_caseevent_append_only;"

COMMITMENT_2020 = """\
失业保险稳岗返还承诺书

本单位郑重承诺：
一、本单位依法参加失业保险并足额缴纳失业保险费，申请（确认）时提供的单位规模、参保人数、\
返还金额和收款账户等信息真实、准确、完整；
二、本单位未列入严重失信主体名单，不存在重大环境违法等不予返还的情形；
三、本单位将把返还资金用于职工生活补助、缴纳社会保险费、转岗培训、技能提升培训等稳定就业岗位\
的支出；
四、本单位同意经办机构及有关部门对上述信息进行核查，并配合抽查和审计；
五、如有虚报、瞒报或骗取返还资金的行为，本单位自愿退回全部返还资金，并依法承担相应责任。
"""


def forwards_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_UP)


def backwards_sql(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN)
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_DOWN)


def seed_commitment(apps, schema_editor):
    CommitmentText = apps.get_model("cases", "CommitmentText")
    CommitmentText.objects.get_or_create(
        version="2020-1",
        defaults={
            "title": "失业保险稳岗返还承诺书",
            "text": COMMITMENT_2020,
            "sha256": hashlib.sha256(COMMITMENT_2020.encode("utf-8")).hexdigest(),
            "valid_from": date(2020, 1, 1),
        },
    )


def unseed_commitment(apps, schema_editor):
    if not apps.get_model("cases", "Commitment").objects.filter(text__version="2020-1").exists():
        apps.get_model("cases", "CommitmentText").objects.filter(version="2020-1").delete()


class Migration(migrations.Migration):

    dependencies = [("cases", "0001_initial")]

    operations = [
        migrations.RunPython(forwards_sql, backwards_sql),
        migrations.RunPython(seed_commitment, unseed_commitment),
    ]
