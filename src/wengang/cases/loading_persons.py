"""Load a person screening result (培训补贴, docs/feeds.md §7) into persons, cases and claim items.

    summary = load_person_screening(Path("var/runs/persons.parquet"), actor=officer)

The same contract as the unit loader (``cases.loading``): the run record beside the result is
checked against the result and the feeds it names, the run is keyed by the record's SHA-256 (the
same run loads once), DuckDB reads and checks the files and seals every resident ID and account
number, and one transaction moves the rows set-based (no per-row ORM objects):

1. every person of an eligible row is inserted, or updated where the trainees feed changed
   (``Person``: ID number and social-security card account sealed for the person's own blind
   index); a unit paid for 以工代训 that is not yet known is inserted from the units feed;
2. each eligible row is a claim item (``ClaimItem``) of the case of its beneficiary (the
   person, or the unit for 以工代训) × program × refund year — the year of the item's date
   (completion, issue or roster month, read from the feeds). A new beneficiary-year opens a
   case in ``screened`` on the automatic route (免申即享: the records come from the platforms,
   assessment bodies and the rosters the unit filed) with an ``opened`` event;
3. a record already paid or claimed under the program (same ``item_key``) is skipped: the
   database refuses it anyway (``claim_item_paid_once``);
4. new items join an open, never-approved case of the same year (event ``rescreened`` with the
   amount before and after); a case already approved, paid or closed is never touched — a
   ``RescreenFlag`` asks a person to look at the new items instead;
5. every case that gained items gets amount = the sum of its items and its explanation = the
   items' explanations, one a line;
6. a person whose card account changed in the trainees feed has it on every open,
   never-approved case (event ``account_changed``, the masked accounts before and after), as
   the unit loader moves a unit's account; an approved case's account is frozen (it changes only
   by a verified account change of ``payments.account_changes``, which the next batch uses),
   and a feed without an account never erases one.

Ineligible rows are counted, not stored: nothing is owed, and no person's ID enters the
database for them.
"""

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
from django.db import connection, transaction

from wengang.accounts.models import User
from wengang.core.clock import clock
from wengang.policy import PolicyError, PolicySet, load_policy
from wengang.screening import FeedSource
from wengang.screening.inputs import register_views

from . import loading
from . import loading_sql as sql
from .errors import InputsChanged, ResultError, RunRecordError
from .models import (
    UNAPPROVED_OPEN_STATES,
    Action,
    Case,
    CaseEvent,
    Channel,
    ClaimItem,
    Person,
    RescreenFlag,
    Route,
    ScreeningRun,
    State,
    Subject,
    Unit,
)
from .sealing import resident_id_digest, seal_account, seal_resident_id

Progress = Callable[[str], None]

RESULT_COLUMNS = ("program", "subject", "record", "resident_id", "uscc", "region_code",
                  "beneficiary", "eligible", "amount", "failed", "explanation")
PERSON_FEEDS = ("trainees", "course_completions", "certificates", "units", "registry")
"""What loading reads besides the result: the persons, the dates of courses and certificates,
and the units paid for 以工代训 (with their registry rows, as the unit loader reads them)."""

STAGE_PEOPLE, STAGE_ITEMS = "wg_lp_people", "wg_lp_items"
NEW_ITEMS, TOUCHED, ACCOUNTS = "wg_lp_new", "wg_lp_touched", "wg_lp_accounts"
_TABLES = (STAGE_PEOPLE, STAGE_ITEMS, NEW_ITEMS, TOUCHED, ACCOUNTS)

PEOPLE_COLUMNS = ("resident_id_digest", "resident_id_sealed", "resident_id_masked", "name",
                  "phone", "region_code", "insured", "insured_months", "account_kind",
                  "account_sealed", "account_digest", "account_masked")
ITEM_COLUMNS = ("program", "program_kind", "subject", "record", "person_digest", "uscc",
                "beneficiary", "refund_year", "amount_fen", "dated", "level", "item_key",
                "explanation")
_ITEM_FIELDS = {
    "program": (ClaimItem, "program"), "program_kind": (Case, "program_kind"),
    "subject": (ClaimItem, "subject"), "record": (ClaimItem, "record"),
    "person_digest": (Person, "resident_id_digest"), "uscc": (Unit, "uscc"),
    "beneficiary": (Case, "program_kind"), "refund_year": (Case, "refund_year"),
    "amount_fen": (ClaimItem, "amount_fen"), "dated": (ClaimItem, "dated"),
    "level": (ClaimItem, "level"), "item_key": (ClaimItem, "item_key"), "explanation": (ClaimItem, "explanation"),
}
_PERSON_COMPARED = [c for c in PEOPLE_COLUMNS
                    if c not in ("resident_id_digest", "resident_id_sealed", "account_sealed")]
"""A sealed number differs at every sealing (a fresh nonce): compare the digest instead."""


@dataclass
class PersonLoadSummary:
    """What a person load did, in counts (also stored on the run as ``ScreeningRun.summary``)."""

    run_id: int
    already_loaded: bool = False
    rows: int = 0
    eligible_rows: int = 0
    persons_created: int = 0
    persons_updated: int = 0
    units_created: int = 0
    opened: int = 0
    updated: int = 0
    items_added: int = 0
    items_known: int = 0
    """Eligible rows whose record is already an item under the program (loaded or paid)."""
    items_deferred: int = 0
    """New items of a case already approved, paid or closed: flagged, not added."""
    flagged: int = 0
    accounts_changed: int = 0
    """Never-approved cases moved to their person's new card account."""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


# --- DuckDB: read, check, date, seal ---------------------------------------------------------

_PEOPLE_SEALED = pa.struct([(name, pa.string()) for name in (
    "digest", "id_sealed", "id_masked", "account_sealed", "account_digest", "account_masked")])


def _register_person_sealing(con: duckdb.DuckDBPyConnection) -> None:
    """``wg_seal_person(resident_id, account)``: the ID number and card account sealed for the
    person's blind index before they leave DuckDB (``cases.sealing``)."""
    def seal(numbers: pa.Array, accounts: pa.Array) -> pa.Array:
        out = []
        for number, account in zip(numbers.to_pylist(), accounts.to_pylist(), strict=True):
            owner = resident_id_digest(number)
            sealed_id = seal_resident_id(number, owner=owner)
            sealed_account = seal_account(account or "", owner=owner)
            out.append({"digest": sealed_id.digest, "id_sealed": sealed_id.sealed,
                        "id_masked": sealed_id.masked, "account_sealed": sealed_account.sealed,
                        "account_digest": sealed_account.digest,
                        "account_masked": sealed_account.masked})
        return pa.array(out, type=_PEOPLE_SEALED)

    con.create_function("wg_seal_person", seal,
                        [duckdb.sqltype("VARCHAR"), duckdb.sqltype("VARCHAR")],
                        duckdb.sqltype("STRUCT(digest VARCHAR, id_sealed VARCHAR, "
                                       "id_masked VARCHAR, account_sealed VARCHAR, "
                                       "account_digest VARCHAR, account_masked VARCHAR)"),
                        type="arrow", null_handling="special")


def _check_rows(con: duckdb.DuckDBPyConnection, result_path: Path, programs: list[str]) -> None:
    """Refuse a result that breaks the contract, naming the first offending rows (the record,
    never the resident ID)."""
    subjects = ", ".join(f"'{s}'" for s in Subject.values)
    checks = [
        ("NOT list_contains($programs, program)", "项目不在运行记录中", "program not in the run record"),
        (f"subject NOT IN ({subjects}) OR subject IS NULL", "subject 不在约定取值中", "unknown subject"),
        ("beneficiary NOT IN ('person', 'unit') OR beneficiary IS NULL", "beneficiary 应为 person/unit", "beneficiary must be person or unit"),
        ("eligible_text NOT IN ('true', 'false') OR eligible_text IS NULL", "eligible 应为 true/false", "eligible must be true/false"),
        ("NOT regexp_full_match(coalesce(amount, ''), '[0-9]+\\.[0-9]{2}')", "金额应为两位小数的元", "amount must be yuan with 2 decimals"),
        ("eligible_text = 'false' AND amount <> '0.00'", "不符合条件但金额不为零", "ineligible with a non-zero amount"),
        ("eligible_text = 'true' AND amount = '0.00'", "符合条件但金额为零", "eligible with a zero amount"),
        ("resident_id IS NULL OR length(resident_id) <> 18", "身份证号码缺失或不是18位", "resident ID missing or not 18 characters"),
        ("beneficiary = 'unit' AND (uscc IS NULL OR length(uscc) <> 18)", "以工代训行缺少单位统一社会信用代码", "a unit-paid row lacks the unit's USCC"),
        ("record IS NULL OR record = '' OR (subject <> 'certificate' AND NOT contains(record, '/'))", "记录编号格式不正确", "malformed record"),
        ("region_code IS NULL OR NOT regexp_full_match(region_code, '[0-9]{6}')", "行政区划不是6位数字", "region code is not 6 digits"),
    ]
    loading.refuse_rows(con, result_path, checks, programs=programs, named_by="program, record")


def _empty_view(con: duckdb.DuckDBPyConnection, feed: str, columns: str) -> None:
    con.execute(f"CREATE OR REPLACE VIEW {feed} AS SELECT {columns} WHERE false")


def _prepare(con: duckdb.DuckDBPyConnection, result_path: Path, record: dict,
             source: FeedSource, policy: PolicySet) -> dict[str, int]:
    """Create ``people``, ``items`` and ``units`` in DuckDB, ready to stage."""
    reader = loading._result_reader_sql(result_path)
    try:
        columns = loading._describe(con, reader)
    except duckdb.Error as error:
        raise ResultError(f"{result_path}：无法读取（{error}）",
                          f"{result_path}: cannot be read ({error})") from None
    missing = [c for c in RESULT_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in RESULT_COLUMNS]
    if missing or unknown:
        raise ResultError(f"{result_path}：缺少列 {', '.join(missing) or '无'}；未知列 {', '.join(unknown) or '无'}",
                          f"{result_path}: missing columns {', '.join(missing) or 'none'}; "
                          f"unknown columns {', '.join(unknown) or 'none'}")
    text = {c: f"CAST(\"{c}\" AS VARCHAR)" for c in columns}
    con.execute(f"""
        CREATE TEMP TABLE result AS SELECT
            {text['program']} AS program, {text['subject']} AS subject, {text['record']} AS record,
            {text['resident_id']} AS resident_id, nullif({text['uscc']}, '') AS uscc,
            {text['region_code']} AS region_code, {text['beneficiary']} AS beneficiary,
            lower({text['eligible']}) AS eligible_text, {text['amount']} AS amount,
            coalesce({text['explanation']}, '') AS explanation
        FROM {reader}""")
    programs = list(record["programs"])
    rows = con.execute("SELECT count(*) FROM result").fetchall()[0][0]
    if rows != record["output"]["rows"]:
        raise ResultError(f"{result_path}：行数 {rows} 与运行记录的 {record['output']['rows']} 不一致",
                          f"{result_path}: {rows} rows, the run record says {record['output']['rows']}")
    _check_rows(con, result_path, programs)
    kinds = {}
    for program_id in programs:
        try:
            kinds[program_id] = policy.program(program_id).kind
        except PolicyError as error:
            raise RunRecordError(error.zh, error.en) from None

    register_views(con, source)
    if "course_completions" not in source.files:
        _empty_view(con, "course_completions", "NULL::VARCHAR AS resident_id, NULL::VARCHAR AS "
                    "platform, NULL::VARCHAR AS course_id, NULL::DATE AS completed_on")
    if "certificates" not in source.files:
        _empty_view(con, "certificates", "NULL::VARCHAR AS certificate_id, NULL::DATE AS issued_on, "
                    "NULL::VARCHAR AS level")
    _register_person_sealing(con)
    kind_case = " ".join(f"WHEN '{p}' THEN '{k}'" for p, k in kinds.items())
    # The item's date: a certificate's issue, a course's completion (the record is
    # platform/course_id of that person), a roster month's first day (uscc/YYYY-MM).
    con.execute(f"""
        CREATE TEMP TABLE eligible AS
        SELECT r.program, CASE r.program {kind_case} END AS program_kind, r.subject, r.record,
               r.resident_id, r.uscc, r.beneficiary,
               CAST(replace(r.amount, '.', '') AS BIGINT) AS amount_fen, r.explanation,
               CASE r.subject
                   WHEN 'certificate' THEN CAST(c.issued_on AS DATE)
                   WHEN 'course_completion' THEN CAST(k.completed_on AS DATE)
                   ELSE TRY_CAST(split_part(r.record, '/', 2) || '-01' AS DATE) END AS dated,
               CAST(c.level AS SMALLINT) AS level
        FROM result r
        LEFT JOIN certificates c ON r.subject = 'certificate' AND c.certificate_id = r.record
        LEFT JOIN course_completions k
               ON r.subject = 'course_completion' AND k.resident_id = r.resident_id
              AND k.platform || '/' || k.course_id = r.record
        WHERE r.eligible_text = 'true'""")
    undated = con.execute("SELECT program, record FROM eligible WHERE dated IS NULL "
                          "ORDER BY ALL LIMIT 3").fetchall()
    if undated:
        where = "; ".join(f"{p} {r}" for p, r in undated)
        raise InputsChanged(f"在培训数据中找不到这些记录的日期（结业、发证或以工代训月份）：{where}；"
                            "请使用筛查所用的数据",
                            f"the feeds give no date (completion, issue or roster month) for "
                            f"{where}: use the data the run screened")
    con.execute("""
        CREATE TEMP TABLE people AS
        SELECT row_number() OVER (ORDER BY t.resident_id) - 1 AS seq, t.resident_id,
               s.digest AS resident_id_digest, s.id_sealed AS resident_id_sealed,
               s.id_masked AS resident_id_masked, coalesce(t.name, '') AS name,
               coalesce(t.phone, '') AS phone, t.region_code,
               coalesce(t.insured, false) AS insured,
               coalesce(t.insured_months, 0) AS insured_months,
               CASE WHEN t.si_card_account IS NULL THEN '' ELSE 'bank' END AS account_kind,
               s.account_sealed, s.account_digest, s.account_masked
        FROM (SELECT *, wg_seal_person(resident_id, si_card_account) AS s FROM trainees
              WHERE resident_id IN (SELECT resident_id FROM eligible)) t
        ORDER BY seq""")
    wanted = con.execute("SELECT count(DISTINCT resident_id) FROM eligible").fetchall()[0][0]
    found = con.execute("SELECT count(*) FROM people").fetchall()[0][0]
    if found != wanted:
        raise InputsChanged(
            f"参训人员数据与结果不对应：结果中应补贴的人员 {wanted} 人，参训人员数据中找到 {found} 行",
            f"the trainees feed does not match the result: {wanted} persons to pay, {found} "
            "rows found")
    con.execute("""
        CREATE TEMP TABLE items AS
        SELECT row_number() OVER (ORDER BY e.program, e.record, p.resident_id_digest) - 1 AS seq,
               e.program, e.program_kind, e.subject, e.record,
               p.resident_id_digest AS person_digest, e.uscc, e.beneficiary,
               year(e.dated) AS refund_year, e.amount_fen, CAST(e.dated AS VARCHAR) AS dated,
               e.level,
               CASE e.subject WHEN 'certificate' THEN e.record
                    ELSE p.resident_id_digest || ':' || split_part(e.record, '/', -1)
               END AS item_key, e.explanation
        FROM eligible e JOIN people p USING (resident_id)
        ORDER BY seq""")
    twice = con.execute("SELECT program, item_key FROM items GROUP BY ALL HAVING count(*) > 1 "
                        "LIMIT 3").fetchall()
    if twice:
        where = "; ".join(f"{p} {k.split(':')[-1]}" for p, k in twice)
        raise ResultError(f"{result_path}：同一记录在本结果中两次符合条件（如 {where}），不能重复补贴",
                          f"{result_path}: the same record is eligible twice (e.g. {where}); "
                          "it is paid once")
    _prepare_units(con, source)
    eligible = con.execute("SELECT count(*) FROM items").fetchall()[0][0]
    return {"rows": rows, "eligible_rows": eligible}


def _prepare_units(con: duckdb.DuckDBPyConnection, source: FeedSource) -> None:
    """``units``: the units paid for 以工代训, from the units feed, in the unit loader's columns.

    Only units not yet known are inserted from it (``loading_sql.insert_units_sql``); a known
    unit is the unit loader's to update. Size is left empty: a training screening does not
    decide it.
    """
    paid = con.execute("SELECT count(*) FROM items WHERE beneficiary = 'unit'").fetchall()[0][0]
    if paid and "units" not in source.files:
        raise InputsChanged("以工代训补贴给单位，但筛查所用数据中没有单位数据（units）",
                            "以工代训 pays units, but the data has no units feed")
    if not paid:
        con.execute(f"CREATE TEMP TABLE units AS SELECT 0 AS seq, "
                    f"{', '.join('NULL AS ' + c for c in sql.UNIT_COLUMNS)} WHERE false")
        return
    loading._register_sealing(con)
    registry = ("LEFT JOIN registry g USING (uscc)" if "registry" in source.files else
                "LEFT JOIN (SELECT NULL::VARCHAR AS uscc, NULL::DATE AS restructured_on, "
                "NULL::VARCHAR AS restructure_kind) g USING (uscc)")
    con.execute(f"""
        CREATE TEMP TABLE units AS
        SELECT row_number() OVER (ORDER BY f.uscc) - 1 AS seq, {loading.unit_row_sql("''")}
        FROM (SELECT u.*, g.restructured_on, g.restructure_kind,
                     wg_seal_account(coalesce(u.bank_account, u.si_account), u.uscc) AS a
              FROM units u {registry}
              WHERE u.uscc IN (SELECT uscc FROM items WHERE beneficiary = 'unit')) f
        ORDER BY seq""")
    absent = con.execute("SELECT DISTINCT uscc FROM items WHERE beneficiary = 'unit' AND uscc "
                         "NOT IN (SELECT uscc FROM units) ORDER BY 1 LIMIT 5").fetchall()
    if absent:
        where = ", ".join(u for u, in absent)
        raise InputsChanged(f"单位数据中找不到以工代训的单位：{where}",
                            f"units paid for 以工代训 are not in the units feed: {where}")


# --- the operational database ----------------------------------------------------------------

def _t() -> dict[str, str]:
    return {"person": Person._meta.db_table, "unit": Unit._meta.db_table,
            "case": Case._meta.db_table, "item": ClaimItem._meta.db_table,
            "event": CaseEvent._meta.db_table, "flag": RescreenFlag._meta.db_table}


def _create_tables(cursor) -> None:
    people = ", ".join(f"{c} {sql._column_type(Person, c)}" for c in PEOPLE_COLUMNS)
    items = ", ".join(f"{c} {sql._column_type(*_ITEM_FIELDS[c])}" for c in ITEM_COLUMNS)
    _drop_tables(cursor)
    sql.create_stage_tables(cursor)  # the unit loader's, for units paid for 以工代训
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_PEOPLE} ({people})")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_ITEMS} ({items})")
    cursor.execute(f"CREATE TEMPORARY TABLE {ACCOUNTS} (case_id bigint PRIMARY KEY, "
                   f"digest {sql._column_type(Person, 'resident_id_digest')})")


def _drop_tables(cursor) -> None:
    for table in _TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    sql.drop_stage_tables(cursor)


def _insert_people_sql() -> str:
    t = _t()
    names = ", ".join(PEOPLE_COLUMNS)
    return f"""
        INSERT INTO {t['person']} ({names}, last_run_id, updated_at)
        SELECT {", ".join("s." + c for c in PEOPLE_COLUMNS)}, %s, %s FROM {STAGE_PEOPLE} s
        WHERE NOT EXISTS (SELECT 1 FROM {t['person']} p
                          WHERE p.resident_id_digest = s.resident_id_digest)"""


def _update_people_sql() -> str:
    t = _t()
    person = t["person"]
    data = [c for c in PEOPLE_COLUMNS if c not in ("resident_id_digest", "resident_id_sealed",
                                                   "resident_id_masked")]
    differs = " OR ".join(sql._distinct(f"{person}.{c}", f"s.{c}") for c in _PERSON_COMPARED)
    return f"""
        UPDATE {person} SET {", ".join(f"{c} = s.{c}" for c in data)}, last_run_id = %s,
            updated_at = %s
        FROM {STAGE_PEOPLE} s WHERE {person}.resident_id_digest = s.resident_id_digest
          AND ({differs})"""


def _account_cases_sql() -> str:
    """Collect (and on PostgreSQL lock) the open, never-approved cases of persons whose staged
    card account is new: read before the persons are updated, while the old one is on record."""
    t = _t()
    states = ", ".join(f"'{s}'" for s in sorted(UNAPPROVED_OPEN_STATES))
    lock = " FOR UPDATE OF c" if sql.vendor() == "postgresql" else ""
    return f"""
        INSERT INTO {ACCOUNTS} (case_id, digest)
        SELECT c.id, s.resident_id_digest
        FROM {t['case']} c JOIN {t['person']} p ON p.id = c.person_id
             JOIN {STAGE_PEOPLE} s ON s.resident_id_digest = p.resident_id_digest
        WHERE s.account_digest <> '' AND s.account_digest <> p.account_digest
          AND c.account_digest <> s.account_digest
          AND c.approved_on IS NULL AND c.state IN ({states}){lock}"""


def _account_events_sql() -> str:
    t = _t()
    data = sql._json([("account_before", "c.account_masked", False),
                      ("account_after", "s.account_masked", False)])
    return f"""
        INSERT INTO {t['event']} (case_id, at, actor_id, actor_label, action, state_before,
            state_after, reason, channel, request_id, run_id, data)
        SELECT c.id, %s, %s, %s, '{Action.ACCOUNT_CHANGED}', c.state, c.state,
            '重新筛查：社会保障卡账户变化（' || c.account_masked || ' → ' || s.account_masked || '）',
            '{Channel.SYSTEM}', %s, %s, {data}
        FROM {ACCOUNTS} x JOIN {t['case']} c ON c.id = x.case_id
             JOIN {STAGE_PEOPLE} s ON s.resident_id_digest = x.digest"""


def _account_update_sql() -> str:
    case = _t()["case"]
    return f"""
        UPDATE {case} SET {", ".join(f"{c} = s.{c}" for c in sql._ACCOUNT_FIELDS)},
            version = {case}.version + 1, updated_at = %s
        FROM {ACCOUNTS} x, {STAGE_PEOPLE} s
        WHERE {case}.id = x.case_id AND s.resident_id_digest = x.digest"""


def _new_items_sql() -> str:
    """The staged items not yet claimed under their program, with their beneficiary's ids."""
    t = _t()
    return f"""
        CREATE TEMPORARY TABLE {NEW_ITEMS} AS
        SELECT s.*, p.id AS person_id,
               CASE WHEN s.beneficiary = 'person' THEN p.id END AS case_person_id,
               u.id AS case_unit_id, CAST(NULL AS bigint) AS case_id
        FROM {STAGE_ITEMS} s JOIN {t['person']} p ON p.resident_id_digest = s.person_digest
             LEFT JOIN {t['unit']} u ON s.beneficiary = 'unit' AND u.uscc = s.uscc
        WHERE NOT EXISTS (SELECT 1 FROM {t['item']} i
                          WHERE i.program = s.program AND i.item_key = s.item_key)"""


def _open_cases_sql() -> str:
    t = _t()
    account = ", ".join(f"coalesce(u.{c}, p.{c})" for c in sql._ACCOUNT_FIELDS)
    return f"""
        INSERT INTO {t['case']} (unit_id, person_id, program, program_kind, refund_year, state,
            route, size, priority, eligible, amount_fen, failed, risk, explanation,
            {sql._ACCOUNT}, opened_by_run_id, screening_run_id, version, state_changed_at,
            closed_reason, held_from, hold_kind, created_at, updated_at)
        SELECT k.case_unit_id, k.case_person_id, k.program, k.program_kind, k.refund_year,
            '{State.SCREENED}', '{Route.AUTOMATIC}', '', %s, %s, 0, '', '', '', {account},
            %s, %s, 1, %s, '', '', '', %s, %s
        FROM (SELECT DISTINCT case_unit_id, case_person_id, program, program_kind, refund_year
              FROM {NEW_ITEMS}) k
             LEFT JOIN {t['unit']} u ON u.id = k.case_unit_id
             LEFT JOIN {t['person']} p ON p.id = k.case_person_id
        WHERE NOT EXISTS (SELECT 1 FROM {t['case']} c WHERE c.unit_id = k.case_unit_id
                          AND c.program = k.program AND c.refund_year = k.refund_year)
          AND NOT EXISTS (SELECT 1 FROM {t['case']} c WHERE c.person_id = k.case_person_id
                          AND c.program = k.program AND c.refund_year = k.refund_year)"""


def _assign_cases_sql(beneficiary: str) -> str:
    """Each new item's case, by a join on the case's unique key (one statement per kind of
    beneficiary: an OR across both keys would defeat the indexes)."""
    t = _t()
    new = NEW_ITEMS
    return f"""
        UPDATE {new} SET case_id = c.id FROM {t['case']} c
        WHERE c.{beneficiary}_id = {new}.case_{beneficiary}_id AND c.program = {new}.program
          AND c.refund_year = {new}.refund_year"""


def _touched_sql() -> str:
    """The cases that take new items: opened by this run, or open and never approved."""
    t = _t()
    states = ", ".join(f"'{s}'" for s in sorted(UNAPPROVED_OPEN_STATES))
    return f"""
        CREATE TEMPORARY TABLE {TOUCHED} AS
        SELECT c.id AS case_id, c.amount_fen AS amount_before, c.opened_by_run_id = %s AS is_new,
               count(*) AS items
        FROM {NEW_ITEMS} n JOIN {t['case']} c ON c.id = n.case_id
        WHERE c.approved_on IS NULL AND c.state IN ({states})
        GROUP BY c.id, c.amount_fen, c.opened_by_run_id"""


def _insert_items_sql() -> str:
    t = _t()
    return f"""
        INSERT INTO {t['item']} (case_id, program, subject, record, person_id, amount_fen, dated,
            level, item_key, explanation, run_id, created_at)
        SELECT n.case_id, n.program, n.subject, n.record, n.person_id, n.amount_fen, n.dated,
            n.level, n.item_key, n.explanation, %s, %s
        FROM {NEW_ITEMS} n JOIN {TOUCHED} x ON x.case_id = n.case_id"""


def _update_cases_sql() -> str:
    """Amount = the sum of the case's items; explanation = theirs, one a line, by date.

    PostgreSQL: one grouped pass over the touched cases' items. SQLite: a subquery per case
    (in process, by the (case, dated) index), as its ``group_concat`` has no ORDER BY and keeps
    only the order of a subquery it reads alone.
    """
    t = _t()
    case = t["case"]
    version = f"version = {case}.version + CASE WHEN a.is_new THEN 0 ELSE 1 END"
    if sql.vendor() == "postgresql":
        return f"""
            UPDATE {case} SET amount_fen = a.total, explanation = a.text,
                screening_run_id = %s, updated_at = %s, {version}
            FROM (SELECT x.case_id, x.is_new, sum(i.amount_fen) AS total,
                         string_agg(i.explanation, E'\\n' ORDER BY i.dated, i.id) AS text
                  FROM {TOUCHED} x JOIN {t['item']} i ON i.case_id = x.case_id
                  GROUP BY x.case_id, x.is_new) a
            WHERE {case}.id = a.case_id"""
    return f"""
        UPDATE {case} SET
            amount_fen = (SELECT sum(i.amount_fen) FROM {t['item']} i WHERE i.case_id = {case}.id),
            explanation = (SELECT group_concat(explanation, char(10)) FROM (
                SELECT i.explanation FROM {t['item']} i WHERE i.case_id = {case}.id
                ORDER BY i.dated, i.id)),
            screening_run_id = %s, updated_at = %s, {version}
        FROM {TOUCHED} a WHERE {case}.id = a.case_id"""


def _events_sql() -> str:
    t = _t()
    return f"""
        INSERT INTO {t['event']} (case_id, at, actor_id, actor_label, action, state_before,
            state_after, reason, channel, request_id, run_id, amount_before_fen, amount_after_fen)
        SELECT c.id, %s, %s, %s,
            CASE WHEN x.is_new THEN 'opened' ELSE 'rescreened' END,
            CASE WHEN x.is_new THEN '' ELSE c.state END, c.state,
            CASE WHEN x.is_new THEN '比对筛查符合条件，立案（补贴明细 ' || x.items || ' 项）'
                 ELSE '重新筛查新增补贴明细 ' || x.items || ' 项' END,
            '{Channel.SYSTEM}', %s, %s,
            CASE WHEN x.is_new THEN NULL ELSE x.amount_before END, c.amount_fen
        FROM {TOUCHED} x JOIN {t['case']} c ON c.id = x.case_id"""


def _flag_sql() -> str:
    """A flag on each approved, paid or closed case that new items would have joined."""
    t = _t()
    new = NEW_ITEMS
    return f"""
        INSERT INTO {t['flag']} (case_id, run_id, state_at_flag, amount_before_fen,
            amount_after_fen, eligible_after, route_after, failed_after, explanation_after,
            created_at, status, note)
        SELECT c.id, %s, c.state, c.amount_fen,
            c.amount_fen + (SELECT sum(n.amount_fen) FROM {new} n WHERE n.case_id = c.id),
            %s, '', '', {_joined_explanations_new("c.id")}, %s, 'open', ''
        FROM {t['case']} c
        WHERE c.id IN (SELECT case_id FROM {new})
          AND c.id NOT IN (SELECT case_id FROM {TOUCHED})
          AND NOT EXISTS (SELECT 1 FROM {t['flag']} f WHERE f.case_id = c.id AND f.run_id = %s)"""


def _joined_explanations_new(case_id: str) -> str:
    if sql.vendor() == "postgresql":
        return (f"'新增补贴明细：' || (SELECT string_agg(n.explanation, E'\\n' ORDER BY n.dated, "
                f"n.item_key) FROM {NEW_ITEMS} n WHERE n.case_id = {case_id})")
    return (f"'新增补贴明细：' || (SELECT group_concat(explanation, char(10)) FROM (SELECT "
            f"n.explanation FROM {NEW_ITEMS} n WHERE n.case_id = {case_id} "
            "ORDER BY n.dated, n.item_key))")


# --- the service ---------------------------------------------------------------------------

def load_person_screening(result_path: Path | str, *, actor: User | None = None,
                          source: FeedSource | None = None, verify_inputs: bool = True,
                          force: bool = False, policy: PolicySet | None = None,
                          channel: str = Channel.SYSTEM, request_id: str = "",
                          progress: Progress | None = None) -> PersonLoadSummary:
    """Load one person screening result into persons, cases and claim items (module docstring).

    ``source`` is the feed folder or snapshot the run screened, when its recorded path moved
    (the CLI's ``--feeds`` / ``--snapshot``); ``verify_inputs=False`` skips the SHA-256 check
    of those feeds (never in production). ``force`` reloads a loaded run, which then finds
    nothing new.
    """
    step = progress or (lambda _label: None)
    watch = loading.Stopwatch()
    checked = loading.check_result(result_path, persons=True, step=step)
    result_path, record, existing = checked.path, checked.record, checked.existing
    result_sha, record_sha = checked.result_sha, checked.record_sha
    if existing is not None and existing.loaded_at is not None and not force:
        return PersonLoadSummary(run_id=existing.pk, already_loaded=True, rows=existing.rows,
                                 seconds=watch.seconds)
    source = source or loading.run_inputs(record)
    source.files = {feed: p for feed, p in source.files.items() if feed in PERSON_FEEDS}
    if verify_inputs:
        loading.check_inputs(source, record)
    watch.lap("check")

    step("读取并核对筛查结果 / reading the result")
    con = duckdb.connect()
    try:
        counts = _prepare(con, result_path, record, source, policy or load_policy())
        watch.lap("prepare")
        summary = _load_prepared(con, result_path, record, result_sha, record_sha, existing,
                                 actor=actor, request_id=request_id, step=step, lap=watch.lap)
    finally:
        con.close()
    summary.rows, summary.eligible_rows = counts["rows"], counts["eligible_rows"]
    summary.seconds = watch.seconds
    summary.timings = watch.timings
    ScreeningRun.objects.filter(pk=summary.run_id).update(summary=summary.as_dict())
    return summary


def _load_prepared(con, result_path: Path, record: dict, result_sha: str, record_sha: str,
                   existing: ScreeningRun | None, *, actor: User | None, request_id: str,
                   step: Progress, lap: Callable[[str], None]) -> PersonLoadSummary:
    now = clock.now()
    db_now = loading._adapt_now(now)
    actor_id = actor.pk if actor else None
    label = "" if actor else "培训补贴筛查导入"
    with transaction.atomic():
        run = loading.save_run(existing, result_path, record, result_sha, record_sha,
                               datetime.fromisoformat(record["created_at"]))
        summary = PersonLoadSummary(run_id=run.pk)
        with connection.cursor() as cursor:
            _create_tables(cursor)
            step("暂存人员与补贴明细 / staging persons and items")
            sql.stage(con, "people", STAGE_PEOPLE, PEOPLE_COLUMNS,
                      fields={c: (Person, c) for c in PEOPLE_COLUMNS})
            sql.stage(con, "items", STAGE_ITEMS, ITEM_COLUMNS, fields=_ITEM_FIELDS)
            sql.stage(con, "units", sql.STAGE_UNITS, sql.UNIT_COLUMNS)
            if sql.vendor() == "postgresql":
                cursor.execute(f"ANALYZE {STAGE_PEOPLE}, {STAGE_ITEMS}, {sql.STAGE_UNITS}")
            lap("stage")

            step("更新人员 / persons")
            cursor.execute(_account_cases_sql())
            cursor.execute(_account_events_sql(), [db_now, actor_id, label, request_id, run.pk])
            cursor.execute(_account_update_sql(), [db_now])
            summary.accounts_changed = cursor.rowcount
            cursor.execute(_insert_people_sql(), [run.pk, db_now])
            summary.persons_created = cursor.rowcount
            cursor.execute(_update_people_sql(), [run.pk, db_now])
            summary.persons_updated = cursor.rowcount
            cursor.execute(sql.insert_units_sql(), [run.pk, db_now])
            summary.units_created = cursor.rowcount
            if sql.vendor() == "postgresql" and (summary.persons_created or summary.units_created):
                cursor.execute(f"ANALYZE {_t()['person']}, {_t()['unit']}")  # see loading
            lap("persons")

            step("立案与补贴明细 / cases and items")
            cursor.execute(_new_items_sql())
            cursor.execute(f"SELECT count(*) FROM {NEW_ITEMS}")
            new_items = cursor.fetchone()[0]
            summary.items_known = _eligible_count(con) - new_items
            if new_items:
                cursor.execute(_open_cases_sql(), [False, True, run.pk, run.pk, db_now, db_now,
                                                   db_now])
                summary.opened = cursor.rowcount
                if sql.vendor() == "postgresql":
                    cursor.execute(f"ANALYZE {NEW_ITEMS}, {_t()['case']}")
                cursor.execute(_assign_cases_sql("person"))
                cursor.execute(_assign_cases_sql("unit"))
                cursor.execute(_touched_sql(), [run.pk])
                cursor.execute(_insert_items_sql(), [run.pk, db_now])
                summary.items_added = cursor.rowcount
                summary.items_deferred = new_items - summary.items_added
                cursor.execute(_update_cases_sql(), [run.pk, db_now])
                summary.updated = cursor.rowcount - summary.opened
                cursor.execute(_events_sql(), [db_now, actor_id, label, request_id, run.pk])
                if summary.items_deferred:
                    cursor.execute(_flag_sql(), [run.pk, True, db_now, run.pk])
                    summary.flagged = cursor.rowcount
            lap("cases")
            _drop_tables(cursor)
        run.loaded_at = now
        run.loaded_by = actor
        run.save(update_fields=["loaded_at", "loaded_by"])
    lap("commit")
    return summary


def _eligible_count(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT count(*) FROM items").fetchall()[0][0]
