"""The exchange as a periodic job: of ``wengang scheduler`` on the intranet
(``oversight.scheduler.jobs``), of ``wengang zones exchange`` on the internet instance (which
has no staff account for the scheduler to act as).

Each zone imports what the gateway delivered, then exports what it has to say; both steps
are idempotent (sequences), so a restarted scheduler simply runs them again. A gap or a
quarantined file is reported in the job's summary and the next turn continues.
"""

from datetime import timedelta

from . import INTERNET, SINGLE, zone

EXCHANGE_EVERY = timedelta(minutes=1)


def exchange() -> str:
    from .transfer import export, import_

    received = import_()
    sent = export()
    parts = [(f"收 {len(received.applied)} 条，发 {len(sent.written)} 条 / applied "
             f"{len(received.applied)}, wrote {len(sent.written)}")]
    if received.refused:
        parts.append(f"未受理 {len(received.refused)} 条 / refused {len(received.refused)}")
    if received.quarantined:
        parts.append(f"隔离 {len(received.quarantined)} 个文件 / quarantined "
                     f"{len(received.quarantined)}")
    if received.waiting_for:
        parts.append(f"缺少序号 {received.waiting_for[0]}–{received.waiting_for[1]} / waiting "
                     "for missing sequences")
    return "；".join(parts)


def exchange_job(every: timedelta = EXCHANGE_EVERY):
    from wengang.oversight.scheduler import Job

    return Job("zone-exchange", every, exchange)


def with_exchange(base: list, every: timedelta = EXCHANGE_EVERY) -> list:
    """This zone's scheduled jobs: ``base`` as before on a single instance; ``base`` and the
    exchange on the intranet; the exchange alone on the internet instance, which decides
    nothing (a risk sweep there would hold a copied case, an audit sync chain copied events)."""
    current = zone()
    if current == SINGLE:
        return base
    if current == INTERNET:
        return [exchange_job(every)]
    return [*base, exchange_job(every)]
