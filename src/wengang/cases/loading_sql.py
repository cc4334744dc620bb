"""The set-based SQL of loading: staging tables and the statements that move rows into cases.

Small ``..._sql`` functions return SQL text for the operational database; values are bound
(``%s``), and only table and column names of our own models are interpolated. Two dialects:
PostgreSQL and SQLite differ only in null-safe comparison and JSON building (``_distinct``,
``_json``) and in how rows are staged (``stage``).
"""

import duckdb
from django.db import connection

from .models import (
    UNAPPROVED_OPEN_STATES,
    Case,
    CaseEvent,
    Channel,
    ClosedReason,
    Commitment,
    LateClaim,
    RescreenFlag,
    State,
    Unit,
)

UNIT_COLUMNS = ("uscc", "name", "unit_type", "region_code", "industry_code", "size",
                "is_labour_dispatch", "registered_on", "legal_rep_name", "contact_phone",
                "clerk_name", "clerk_phone", "bank_name", "account_kind", "account_sealed",
                "account_digest", "account_masked", "restructured_on", "restructure_kind")
ROW_COLUMNS = ("uscc", "program", "program_kind", "refund_year", "eligible", "amount_fen",
               "size", "route", "priority", "layoff_rate", "insured", "failed", "risk",
               "explanation")
_ROW_FIELDS = {"uscc": (Unit, "uscc")} | {name: (Case, name) for name in ROW_COLUMNS[1:]}
STAGE_UNITS, STAGE_ROWS, STAGE_CHANGED = "wg_load_units", "wg_load_rows", "wg_load_changed"
STAGE_WHY = "wg_load_why"
_STAGE_TABLES = (STAGE_UNITS, STAGE_ROWS, STAGE_CHANGED, STAGE_WHY)
FETCH_ROWS = 20_000
"""Rows staged per statement: bounds memory whatever the size of the file."""


def vendor() -> str:
    return connection.vendor


def _column_type(model, name: str) -> str:
    return model._meta.get_field(name).db_type(connection)


def create_stage_tables(cursor) -> None:
    unit_types = ", ".join(f"{name} {_column_type(Unit, name)}" for name in UNIT_COLUMNS)
    row_types = ", ".join(f"{name} {_column_type(*_ROW_FIELDS[name])}" for name in ROW_COLUMNS)
    for table in _STAGE_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_UNITS} ({unit_types})")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_ROWS} ({row_types})")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_CHANGED} (case_id bigint PRIMARY KEY)")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGE_WHY} (run_id bigint PRIMARY KEY, why text)")


def drop_stage_tables(cursor) -> None:
    for table in _STAGE_TABLES:
        cursor.execute(f"DROP TABLE IF EXISTS {table}")


def previous_runs_sql() -> str:
    """The runs whose decisions the changed cases held until now."""
    return (f"SELECT DISTINCT c.screening_run_id FROM {STAGE_CHANGED} x "
            f"JOIN {_tables()['case']} c ON c.id = x.case_id")


def insert_why_sql() -> str:
    return f"INSERT INTO {STAGE_WHY} (run_id, why) VALUES (%s, %s)"


def stage(con: duckdb.DuckDBPyConnection, source: str, table: str,
          columns: tuple[str, ...], *, fields: dict[str, tuple] | None = None) -> int:
    """Copy DuckDB table ``source`` into the staging ``table`` of the operational database.

    Through the driver's own cursor, not Django's: with DEBUG on, Django's cursor keeps the
    text of every statement (megabytes each here) in ``connection.queries``. No COPY:

    - PostgreSQL: DuckDB writes each chunk of rows as one JSON array text, bound as a single
      parameter and unpacked server-side by ``jsonb_array_elements`` (about five times faster
      than ``executemany`` and than multi-row VALUES, measured at 100,000 rows);
    - SQLite: ``executemany`` over tuples fetched from DuckDB (a C loop over one statement).

    Chunks are read by the ``seq`` column DuckDB numbered the rows with, so memory stays bounded
    by ``FETCH_ROWS`` whatever the size of the file. ``fields`` gives each column's (model,
    field), whose database type the staging column has (default: the unit loader's tables).
    """
    connection.ensure_connection()
    total = con.execute(f"SELECT count(*) FROM {source}").fetchall()[0][0]
    names = ", ".join(columns)
    if vendor() == "postgresql":
        import psycopg

        if fields is None:
            fields = {c: (Unit, c) for c in columns} if table == STAGE_UNITS else _ROW_FIELDS
        types = [_column_type(*fields[c]) for c in columns]
        unpack = ", ".join(f"(x->>{i})::{t}" for i, t in enumerate(types))
        sql = (f"INSERT INTO {table} ({names}) "
               f"SELECT {unpack} FROM jsonb_array_elements(%s::jsonb) AS x")
        chunk_sql = (f"SELECT '[' || coalesce(string_agg(json_array({names})::VARCHAR, ',' "
                     f"ORDER BY seq), '') || ']' FROM {source} WHERE seq >= ? AND seq < ?")
        with psycopg.Cursor(connection.connection) as cursor:  # server-side binding
            for start in range(0, total, FETCH_ROWS):
                text = con.execute(chunk_sql, [start, start + FETCH_ROWS]).fetchall()[0][0]
                cursor.execute(sql, [text])
        return total
    sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = connection.connection.cursor()
    try:
        for start in range(0, total, FETCH_ROWS):
            batch = con.execute(f"SELECT {names} FROM {source} WHERE seq >= ? AND seq < ? "
                                "ORDER BY seq", [start, start + FETCH_ROWS]).fetchall()
            cursor.executemany(sql, batch)
    finally:
        cursor.close()
    return total


def _distinct(a: str, b: str) -> str:
    """Null-safe "differs" in both dialects."""
    return f"{a} IS DISTINCT FROM {b}" if vendor() == "postgresql" else f"{a} IS NOT {b}"


def _json(pairs: list[tuple[str, str, bool]]) -> str:
    """A JSON object from (key, SQL expression, is_boolean) in the database's dialect."""
    if vendor() == "postgresql":
        return "jsonb_build_object(" + ", ".join(f"'{k}', {v}" for k, v, _ in pairs) + ")"
    items = []
    for key, value, is_bool in pairs:
        items.append(f"'{key}', " + (f"CASE WHEN {value} THEN json('true') ELSE json('false') END"
                                     if is_bool else value))
    return "json_object(" + ", ".join(items) + ")"


def _tables() -> dict[str, str]:
    return {"unit": Unit._meta.db_table, "case": Case._meta.db_table,
            "event": CaseEvent._meta.db_table, "flag": RescreenFlag._meta.db_table,
            "claim": LateClaim._meta.db_table, "commitment": Commitment._meta.db_table}


_ACCOUNT_FIELDS = ("account_kind", "account_sealed", "account_digest", "account_masked")
_ACCOUNT = ", ".join(_ACCOUNT_FIELDS)


_UNIT_DATA = [c for c in UNIT_COLUMNS if c != "uscc"]
_UNIT_COMPARED = [c for c in _UNIT_DATA if c != "account_sealed"]
"""A sealed number differs at every sealing (a fresh nonce): accounts compare by digest."""


def insert_units_sql() -> str:
    t = _tables()
    names = ", ".join(UNIT_COLUMNS)
    return f"""
        INSERT INTO {t['unit']} ({names}, last_run_id, updated_at)
        SELECT {", ".join("s." + c for c in UNIT_COLUMNS)}, %s, %s FROM {STAGE_UNITS} s
        WHERE NOT EXISTS (SELECT 1 FROM {t['unit']} u WHERE u.uscc = s.uscc)"""


def update_units_sql() -> str:
    t = _tables()
    sets = ", ".join(f"{c} = s.{c}" for c in _UNIT_DATA)
    differs = " OR ".join(_distinct(f"{t['unit']}.{c}", f"s.{c}") for c in _UNIT_COMPARED)
    return f"""
        UPDATE {t['unit']} SET {sets}, last_run_id = %s, updated_at = %s
        FROM {STAGE_UNITS} s WHERE {t['unit']}.uscc = s.uscc AND ({differs})"""


def open_cases_sql() -> str:
    t = _tables()
    return f"""
        INSERT INTO {t['case']} (unit_id, program, program_kind, refund_year, state, route, size,
            priority, eligible, amount_fen, layoff_rate, insured, failed, risk, explanation,
            {_ACCOUNT}, opened_by_run_id, screening_run_id, version, state_changed_at,
            closed_reason, held_from, hold_kind, created_at, updated_at)
        SELECT u.id, r.program, r.program_kind, r.refund_year, '{State.SCREENED}', r.route, r.size,
            r.priority, r.eligible, r.amount_fen, r.layoff_rate, r.insured, r.failed, r.risk,
            r.explanation, {", ".join("u." + c for c in _ACCOUNT_FIELDS)},
            %s, %s, 1, %s, '', '', '', %s, %s
        FROM {STAGE_ROWS} r JOIN {t['unit']} u ON u.uscc = r.uscc
        WHERE r.eligible AND NOT EXISTS (
            SELECT 1 FROM {t['case']} c
            WHERE c.unit_id = u.id AND c.program = r.program AND c.refund_year = r.refund_year)"""


def opened_events_sql() -> str:
    t = _tables()
    return f"""
        INSERT INTO {t['event']} (case_id, at, actor_id, actor_label, action, state_before,
            state_after, reason, channel, request_id, run_id, amount_after_fen)
        SELECT c.id, %s, %s, %s, 'opened', '', '{State.SCREENED}', %s, '{Channel.SYSTEM}', %s,
            %s, c.amount_fen
        FROM {t['case']} c
        WHERE c.opened_by_run_id = %s AND NOT EXISTS (
            SELECT 1 FROM {t['event']} e WHERE e.case_id = c.id AND e.action = 'opened')"""


def _joined(case_alias: str = "c") -> str:
    t = _tables()
    return (f"JOIN {t['unit']} u ON u.id = {case_alias}.unit_id "
            f"JOIN {STAGE_ROWS} r ON r.uscc = u.uscc AND r.program = {case_alias}.program "
            f"AND r.refund_year = {case_alias}.refund_year")


def _decision_differs(c: str = "c") -> str:
    """The case's decision (or its unit's account) differs from the staged row ``r``."""
    return " OR ".join([
        _distinct(f"{c}.insured", "r.insured"), f"{c}.account_digest <> u.account_digest",
        f"{c}.eligible <> r.eligible", f"{c}.amount_fen <> r.amount_fen",
        f"(r.eligible AND {c}.route <> r.route)", f"{c}.size <> r.size",
        f"{c}.priority <> r.priority", f"{c}.failed <> r.failed", f"{c}.risk <> r.risk",
        f"{c}.explanation <> r.explanation", _distinct(f"{c}.layoff_rate", "r.layoff_rate"),
    ])


def changed_cases_sql() -> str:
    """Collect (and on PostgreSQL lock) the never-approved cases whose decision changed.

    A case whose enterprise has confirmed its facts (a commitment) is not among them: the
    commitment was signed on its facts and amount, so a person checks (``flag_approved_sql``).
    """
    t = _tables()
    states = ", ".join(f"'{s}'" for s in sorted(UNAPPROVED_OPEN_STATES))
    lock = " FOR UPDATE OF c" if vendor() == "postgresql" else ""
    return f"""
        INSERT INTO {STAGE_CHANGED} (case_id)
        SELECT c.id FROM {t['case']} c {_joined()}
        WHERE c.approved_on IS NULL AND NOT {_confirmed()}
          AND (c.state IN ({states}) OR (c.state = '{State.WITHDRAWN}'
               AND c.closed_reason = '{ClosedReason.RESCREEN_INELIGIBLE}'))
          AND ({_decision_differs()}){lock}"""


def _confirmed(c: str = "c") -> str:
    return f"EXISTS (SELECT 1 FROM {_tables()['commitment']} m WHERE m.case_id = {c}.id)"


def rescreen_events_sql() -> str:
    t = _tables()
    fields = [("eligible", True), ("amount_fen", False), ("route", False), ("size", False),
              ("priority", True), ("failed", False), ("risk", False)]
    before = _json([(name, f"c.{name}", is_bool) for name, is_bool in fields])
    after = _json([(name, f"r.{name}" if name != "route" else
                    "CASE WHEN r.eligible THEN r.route ELSE c.route END", is_bool)
                   for name, is_bool in fields])
    data = (f"jsonb_build_object('before', {before}, 'after', {after}, 'why', w.why)"
            if vendor() == "postgresql"
            else f"json_object('before', {before}, 'after', {after}, 'why', w.why)")
    reason = ("'重新筛查结论变化：' || "
              "CASE WHEN c.eligible <> r.eligible THEN (CASE WHEN r.eligible THEN '恢复符合条件；' "
              "ELSE '不再符合条件（' || r.failed || '）；' END) ELSE '' END || "
              "CASE WHEN c.amount_fen <> r.amount_fen THEN '返还金额变化；' ELSE '' END || "
              "CASE WHEN r.eligible AND c.route <> r.route THEN '办理方式变化；' ELSE '' END || "
              "CASE WHEN c.size <> r.size THEN '企业规模变化；' ELSE '' END || "
              "CASE WHEN c.priority <> r.priority THEN '绿色通道变化；' ELSE '' END || "
              "CASE WHEN c.risk <> r.risk THEN '风险提示变化；' ELSE '' END || "
              f"CASE WHEN {_distinct('c.insured', 'r.insured')} THEN '参保人数变化；' ELSE '' END || "
              "CASE WHEN c.account_digest <> u.account_digest THEN '收款账户变化（' || "
              "c.account_masked || ' → ' || u.account_masked || '）；' ELSE '' END || "
              "CASE WHEN c.failed <> r.failed OR c.explanation <> r.explanation "
              "THEN '筛查说明变化；' ELSE '' END || coalesce(w.why, '')")
    return f"""
        INSERT INTO {t['event']} (case_id, at, actor_id, actor_label, action, state_before,
            state_after, reason, channel, request_id, run_id, amount_before_fen,
            amount_after_fen, data)
        SELECT c.id, %s, %s, %s, 'rescreened', c.state, c.state, {reason}, '{Channel.SYSTEM}',
            %s, %s, c.amount_fen, r.amount_fen, {data}
        FROM {STAGE_CHANGED} x JOIN {t['case']} c ON c.id = x.case_id {_joined()}
             LEFT JOIN {STAGE_WHY} w ON w.run_id = c.screening_run_id"""


def update_cases_sql() -> str:
    t = _tables()
    case = t["case"]
    return f"""
        UPDATE {case} SET eligible = r.eligible, amount_fen = r.amount_fen,
            route = CASE WHEN r.eligible THEN r.route ELSE {case}.route END, size = r.size,
            priority = r.priority, failed = r.failed, risk = r.risk, explanation = r.explanation,
            layoff_rate = r.layoff_rate, insured = r.insured,
            {", ".join(f"{name} = u.{name}" for name in _ACCOUNT_FIELDS)},
            screening_run_id = %s, version = {case}.version + 1, updated_at = %s
        FROM {STAGE_CHANGED} x, {t['unit']} u, {STAGE_ROWS} r
        WHERE {case}.id = x.case_id AND u.id = {case}.unit_id AND r.uscc = u.uscc
          AND r.program = {case}.program AND r.refund_year = {case}.refund_year"""


def flag_approved_sql() -> str:
    t = _tables()
    return f"""
        INSERT INTO {t['flag']} (case_id, run_id, state_at_flag, amount_before_fen,
            amount_after_fen, eligible_after, route_after, failed_after, explanation_after,
            created_at, status, note)
        SELECT c.id, %s, c.state, c.amount_fen, r.amount_fen, r.eligible,
            CASE WHEN r.route = 'none' THEN '' ELSE r.route END, r.failed, r.explanation, %s,
            'open', ''
        FROM {t['case']} c {_joined()}
        WHERE (c.approved_on IS NOT NULL OR {_confirmed()})
          AND (c.eligible <> r.eligible OR c.amount_fen <> r.amount_fen
               OR (r.eligible AND c.route <> r.route))
          AND NOT EXISTS (SELECT 1 FROM {t['flag']} f WHERE f.case_id = c.id AND f.run_id = %s)"""


def decide_late_claims_sql() -> str:
    """Link waiting late claims to what this run decided for their unit and program."""
    t = _tables()
    claim = t["claim"]
    return f"""
        UPDATE {claim} SET
            status = CASE WHEN r.eligible AND c.id IS NOT NULL THEN '{LateClaim.Status.CASE_OPENED}'
                          ELSE '{LateClaim.Status.NOT_ELIGIBLE}' END,
            case_id = CASE WHEN r.eligible THEN c.id ELSE NULL END,
            unit_id = u.id, decided_by_run_id = %s, explanation = r.explanation
        FROM {STAGE_ROWS} r JOIN {t['unit']} u ON u.uscc = r.uscc
             LEFT JOIN {t['case']} c ON c.unit_id = u.id AND c.program = r.program
                                     AND c.refund_year = r.refund_year
        WHERE {claim}.status = '{LateClaim.Status.RECEIVED}' AND {claim}.uscc = r.uscc
          AND {claim}.program = r.program"""
