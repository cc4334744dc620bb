"""The two-zone deployment (外网申请、内网审核): an internet instance and an intranet instance
exchanging signed, replay-proof messages as files through a one-way gateway.

    WENGANG_ZONE=single     one instance does everything (the default)
    WENGANG_ZONE=internet   portal, public pages, enterprise and person logins; writes inward
                            messages
    WENGANG_ZONE=intranet   console, review, payments, API; applies them, writes outward ones

``envelope`` is the file format (no Django), ``transfer`` exports and imports spool
directories, ``inward`` applies enterprises' and persons' submissions on the intranet through
the same services the single instance uses, ``outward`` collects the intranet's changes and
mirrors them into the internet database, ``submissions`` is what the internet portal calls
instead of changing a case itself. See docs/two-zone.md.
"""

from django.conf import settings

SINGLE, INTERNET, INTRANET = "single", "internet", "intranet"
ZONES = (SINGLE, INTERNET, INTRANET)


def zone() -> str:
    return getattr(settings, "WENGANG_ZONE", SINGLE)


def internet() -> bool:
    """True on the internet-facing instance: it records submissions, the intranet decides."""
    return zone() == INTERNET


def intranet() -> bool:
    return zone() == INTRANET
