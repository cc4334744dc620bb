"""Small training feed sets from a few literal facts: persons and units named by alias (A, U1)."""

import hashlib
from pathlib import Path

from tests.feeds.builders import make_resident_id, make_uscc, write_feed

REGION = "360102"


def person_id(alias: str) -> str:
    """A valid resident ID for an alias: born 1990-01-01 in 360102, sequence from the alias."""
    number = int(hashlib.sha256(alias.encode()).hexdigest()[:8], 16) % 1000
    return make_resident_id(f"{REGION}19900101{number:03d}")


def unit_uscc(alias: str) -> str:
    # U1 < U2 < …: codes sort like their aliases, so a case can say which unit comes first.
    number = int(alias[1:]) if alias[1:].isdigit() else int(
        hashlib.sha256(alias.encode()).hexdigest()[:12], 16) % 100_000_000
    return make_uscc(f"91{REGION}{number:08d}A")


def _months(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:])
    months = []
    while f"{year}-{month:02d}" <= last:
        months.append(f"{year}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def write_training_feeds(folder: Path, case: dict) -> Path:
    """Write the feed set of one case; defaults make every record eligible."""
    folder.mkdir(parents=True, exist_ok=True)
    units = case.get("units", [{"id": "U1"}])
    write_feed(folder / "units.csv", [{
        "uscc": unit_uscc(u["id"]), "name": f"单位{u['id']}", "unit_type": "enterprise",
        "region_code": REGION, "industry_code": "13", "registered_on": "2010-01-01",
        "ui_insured_since": "2010-02-01", "is_labour_dispatch": "false",
        "legal_rep_name": "张伟", "contact_phone": "13800138000"} for u in units])
    contributions, registry, credit = [], [], []
    for u in units:
        unpaid = set(u.get("unpaid", []))
        for month in _months(u.get("first_month", "2019-01"), u.get("last_month", "2021-06")):
            paid = "0" if month in unpaid else "500.00"
            contributions.append({"uscc": unit_uscc(u["id"]), "month": month, "insured": "10",
                                  "due": "500.00", "paid": paid})
        registry.append({"uscc": unit_uscc(u["id"]), "status": u.get("status", "active"),
                         "abnormal": "false"})
        if u.get("credit_listed"):
            credit.append({"uscc": unit_uscc(u["id"]), "list": "serious_dishonesty",
                           "listed_on": "2019-06-01"})
    write_feed(folder / "contributions.csv", contributions)
    write_feed(folder / "registry.csv", registry)
    if credit:
        write_feed(folder / "credit.csv", credit)
    trainees = case.get("trainees", [{"id": "A"}])
    write_feed(folder / "trainees.csv", [{
        "resident_id": person_id(t["id"]), "name": f"学员{t['id']}", "phone": "13700137000",
        "region_code": t.get("region_code", REGION), "insured": str(t.get("insured", True)).lower(),
        "insured_months": str(t.get("insured_months", 36)),
        "si_card_account": t.get("account", "6214830791234567")} for t in trainees])
    if "courses" in case:
        write_feed(folder / "course_completions.csv", [{
            "resident_id": person_id(c.get("person", "A")), "platform": c.get("platform", "平台甲"),
            "course_id": c["course"], "occupation_code": c.get("occupation", "4-01-02-01"),
            "hours": str(c.get("hours", 24)),
            "completed_on": str(c.get("completed_on", "2020-03-20")),
            "certificate_id": c.get("certificate", "PX-1")} for c in case["courses"]])
    if "certificates" in case:
        write_feed(folder / "certificates.csv", [{
            "certificate_id": c["id"], "resident_id": person_id(c.get("person", "A")),
            "level": str(c.get("level", 5)), "occupation_code": c.get("occupation", "6-18-01-01"),
            "issued_on": str(c.get("issued_on", "2024-03-01"))} for c in case["certificates"]])
    if "rosters" in case:
        rows = []
        for r in case["rosters"]:
            for month in r.get("months") or _months(r["from"], r["to"]):
                rows.append({"uscc": unit_uscc(r.get("unit", "U1")),
                             "resident_id": person_id(r.get("person", "A")), "month": month})
        write_feed(folder / "training_rosters.csv", rows)
    if "paid" in case:
        write_feed(folder / "paid_subsidies.csv", [{
            "subsidy": p["subsidy"], "reference": str(p["reference"]),
            "resident_id": person_id(p.get("person", "A")), "paid_on": str(p["paid_on"]),
            "amount": str(p.get("amount", "1000.00"))} for p in case["paid"]])
    return folder


def record_key(text: str) -> str:
    """An expected record, unit aliases replaced by codes: ``U1/2020-03`` → ``9136…/2020-03``."""
    head, sep, tail = text.partition("/")
    if sep and head.startswith("U") and head[1:].isdigit():
        return unit_uscc(head) + "/" + tail
    return text
