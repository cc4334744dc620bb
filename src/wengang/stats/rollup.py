"""The national roll-up: a city exports its aggregates as a signed file; a province imports them.

    body = export("360100")                     # bytes of a JSON file, signed
    rollup = import_file(body, name="nc.json")  # checked, then the city's rows replaced

The file carries the summary-table rows of one region, the refunds' and the training
subsidies' (no case, no unit, no person: only counts and sums), and an HMAC-SM3 signature over
its canonical JSON with the key both sides hold in ``WENGANG_STATS_KEY`` (64 hex digits; a
development machine generates one into the data directory). An altered file, or one signed with another key, is refused whole: nothing is
imported. A file whose region this deployment counts from its own cases, or that overlaps
another city already imported, is refused too (it would count twice); a newer file of the same
city replaces the older one, an older one is refused. A file of the first format
(``wengang-rollup/1``, refunds only) is still read: its city then shows no training subsidies.
"""

import hmac as std_hmac
import json
from datetime import date, datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from django.conf import settings
from django.db import transaction
from django.db.models import (
    CharField,
    DateField,
    PositiveIntegerField,
    PositiveSmallIntegerField,
)

import wengang
from wengang.cases.models import region_q
from wengang.core.clock import clock
from wengang.core.errors import RegionError
from wengang.core.keys import hex_key
from wengang.core.regions import contains, get_region

from .errors import RollupFileInvalid, RollupOverlaps, SignatureInvalid, StatsError, StatsKeyError
from .models import LOCAL, ROW_MODELS, SUMMARY_MODELS, CaseCount, Rollup

FORMAT = "wengang-rollup/2"
TABLES = {"wengang-rollup/1": ROW_MODELS, FORMAT: SUMMARY_MODELS}
"""The tables a file of each format carries: the first had the refunds' only."""
KEY_ENV = "WENGANG_STATS_KEY"
ALGORITHM = "HMAC-SM3"


def _key() -> bytes:
    return hex_key(KEY_ENV, dev_file=Path(settings.DATA_DIR) / "stats_key", error=StatsKeyError,
                   use_zh="无法签名或校验汇总文件", use_en="roll-up files cannot be signed or checked")


def _canonical(payload: dict) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(payload: dict, *, key: bytes | None = None) -> str:
    mac = crypto_hmac.HMAC(key or _key(), hashes.SM3())
    mac.update(_canonical(payload))
    return mac.finalize().hex()


def _columns(model) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if f.name not in ("id", "source")]


def _cell(value):
    return value.isoformat() if isinstance(value, date) else value


def table_of(queryset) -> dict:
    """A summary table's rows as a roll-up file (and the two zones' exchange) carries them."""
    columns = _columns(queryset.model)
    rows = queryset.order_by(*columns).values_list(*columns)
    return {"columns": columns, "rows": [[_cell(v) for v in row] for row in rows]}


def export(region_code: str) -> bytes:
    """The signed roll-up file of every summary row inside ``region_code``."""
    region = get_region(region_code)
    local = Rollup.objects.filter(source=LOCAL).first()
    if local is None:
        raise StatsError("尚未生成统计，请先运行 wengang stats refresh 再导出",
                         "no statistics yet: run `wengang stats refresh` before exporting",
                         code="rollup_nothing")
    tables = {model._meta.model_name: table_of(
        model.objects.filter(region_q("region_code", region.code))) for model in TABLES[FORMAT]}
    payload = {"format": FORMAT, "region_code": region.code, "region_name": region.name,
               "as_of": local.as_of.isoformat(), "computed_at": local.computed_at.isoformat(),
               "exported_at": clock.now().isoformat(), "code_version": wengang.__version__,
               "tables": tables}
    document = {**payload, "signature": {"algorithm": ALGORITHM, "value": sign(payload)}}
    return json.dumps(document, ensure_ascii=False, indent=1).encode()


def _read(body: bytes, name: str) -> tuple[dict, dict]:
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise RollupFileInvalid(name, f"不是 UTF-8 JSON（{error}）", f"not UTF-8 JSON ({error})")
    if not isinstance(document, dict) or document.get("format") not in TABLES:
        known = " / ".join(TABLES)
        raise RollupFileInvalid(name, f"格式标识不是 {known}", f"its format is not {known}")
    signature = document.pop("signature", None)
    if (not isinstance(signature, dict) or signature.get("algorithm") != ALGORITHM
            or not isinstance(signature.get("value"), str)):
        raise RollupFileInvalid(name, "缺少 HMAC-SM3 签名", "it has no HMAC-SM3 signature")
    return document, signature


def _fits(field, value) -> bool:
    """Whether a cell can go into ``field`` as it is: the database must not be the one to say no."""
    if isinstance(field, CharField):
        return isinstance(value, str) and len(value) <= field.max_length
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    if isinstance(field, (PositiveIntegerField, PositiveSmallIntegerField)) and value < 0:
        return False
    return -(2 ** 63) <= value < 2 ** 63


def rows_of(model, table, *, name: str, source: str, within: str | None) -> list:
    """``table`` (as ``table_of`` wrote it) as unsaved rows of ``model`` from ``source``, each
    cell checked to fit its field and, given ``within``, each region to lie inside it."""
    label = model._meta.model_name
    columns = _columns(model)
    if not isinstance(table, dict) or table.get("columns") != columns:
        raise RollupFileInvalid(name, f"数据表 {label} 缺失或列不符", f"table {label} is "
                                f"missing or its columns differ from {columns}")
    fields = {f.name: f for f in model._meta.concrete_fields}
    dates = {column for column, f in fields.items() if isinstance(f, DateField)}
    instances = []
    for number, row in enumerate(table.get("rows") or [], start=1):
        where = f"{label} 第 {number} 行 / {label} row {number}"
        if not isinstance(row, list) or len(row) != len(columns):
            raise RollupFileInvalid(name, f"{where} 列数不符", f"{where}: wrong number of cells")
        values = dict(zip(columns, row))
        try:
            for column in dates:
                values[column] = date.fromisoformat(values[column])
            inside = within is None or contains(within, values["region_code"])
        except (TypeError, ValueError, RegionError):
            raise RollupFileInvalid(name, f"{where} 的日期或区划无效", f"{where}: bad date or "
                                    f"region code") from None
        if not inside:
            raise RollupFileInvalid(name, f"{where} 的区划 {values['region_code']} 不在 {within} 内",
                                    f"{where}: region {values['region_code']} lies outside {within}")
        bad = [c for c, v in values.items() if c not in dates and not _fits(fields[c], v)]
        if bad:
            raise RollupFileInvalid(name, f"{where} 的 {bad[0]} 值无效（类型或范围不符）",
                                    f"{where}: {bad[0]} holds a value of the wrong type or "
                                    f"range")
        instances.append(model(source=source, **values))
    return instances


def _rows(payload: dict, name: str, source: str) -> dict:
    """The file's rows as unsaved model instances, each checked to lie inside ``source``."""
    tables = payload.get("tables")
    if not isinstance(tables, dict):
        raise RollupFileInvalid(name, "缺少数据表", "it has no tables")
    return {model: rows_of(model, tables.get(model._meta.model_name), name=name, source=source,
                           within=source)
            for model in TABLES[payload["format"]]}


def import_file(body: bytes, *, name: str = "rollup.json") -> Rollup:
    """Check ``body`` (signature, shape, region) and replace its city's rows; return its rollup."""
    payload, signature = _read(body, name)
    if not std_hmac.compare_digest(sign(payload), signature["value"]):
        raise SignatureInvalid(name)
    try:
        source = get_region(payload.get("region_code", "")).code
        computed_at = datetime.fromisoformat(payload["computed_at"])
        as_of = date.fromisoformat(payload["as_of"])
    except (KeyError, TypeError, ValueError, RegionError):
        raise RollupFileInvalid(name, "区划或统计日期无效", "bad region code or dates") from None
    rows = _rows(payload, name, source)
    with transaction.atomic():
        if any(model.objects.filter(source=LOCAL).filter(region_q("region_code", source)).exists()
               for model in SUMMARY_MODELS):
            raise RollupOverlaps(name, source)
        for other in Rollup.objects.select_for_update().exclude(source=LOCAL):
            if other.source != source and (contains(other.source, source)
                                           or contains(source, other.source)):
                raise RollupOverlaps(name, source)
            if other.source == source and other.computed_at > computed_at:
                raise RollupFileInvalid(
                    name, f"比已导入的版本旧（已有 {other.computed_at:%Y-%m-%d %H:%M} 计算的汇总）",
                    f"it is older than the one imported (computed {other.computed_at:%Y-%m-%d %H:%M})")
        for model in SUMMARY_MODELS:  # a first-format file's city: no training rows left
            model.objects.filter(source=source).delete()
            model.objects.bulk_create(rows.get(model, ()), batch_size=5000)
        rollup, _created = Rollup.objects.update_or_create(source=source, defaults={
            "region_code": source, "as_of": as_of, "computed_at": computed_at,
            "imported_at": clock.now(), "signature": signature["value"],
            "cases": sum(row.cases for row in rows[CaseCount])})
    return rollup
