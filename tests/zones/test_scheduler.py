"""The exchange as a scheduled job: beside the intranet's jobs, alone on the internet side."""

import pytest

from wengang.accounts.models import User
from wengang.oversight.scheduler import Schedule, jobs
from wengang.zones.envelope import INWARD

from .conftest import deliver
from .payloads import confirmation_payload

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("zone, names", [
    ("single", ["audit-sync", "risk-holds", "stats-refresh"]),
    ("intranet", ["audit-sync", "risk-holds", "stats-refresh", "zone-exchange"]),
    ("internet", ["zone-exchange"]),
])
def test_each_zone_schedules_its_own_jobs(settings, world, zone, names):
    settings.WENGANG_ZONE = zone
    assert [job.name for job in jobs(User.objects.get(username="officer"))] == names


def test_the_exchange_job_imports_then_exports_and_reports_a_gap(intranet, world):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    deliver(intranet, INWARD, 3, "confirmation", confirmation_payload(world["own_case"]))
    schedule = Schedule([job for job in jobs(User.objects.get(username="officer"))
                         if job.name == "zone-exchange"])
    (outcome,) = schedule.tick(now=0.0)
    assert outcome.ok
    assert outcome.summary.startswith("收 1 条，发 4 条") and "缺少序号 2–2" in outcome.summary
    assert max(p.name for p in (intranet / "out").iterdir()) == "outward-000000000004.json"
    assert schedule.tick(now=1.0) == []  # not due again within the minute
