"""Errors of oversight, each with a stable ``code`` and a message in Chinese and English.

    OversightError (a CoreError)
    ├── AuditKeyError       the audit key is missing, malformed, or not the chain's key
    ├── ChainHeadMissing    records exist but the chain's head row is gone
    ├── AnchorFileInvalid   an anchor file that cannot be read
    ├── NotAllowed          the actor's role or region does not allow the step
    ├── ReasonRequired      the step needs a reason
    ├── NoOpenHold          clearing a risk hold the case does not have
    ├── PlanInvalid         a sampling plan that cannot be drawn as asked
    ├── NotInSample         an auditor asking for a case outside its sample
    └── FindingInvalid      a finding that contradicts itself or the case

A refused step changes nothing: every check runs before the first write.
"""

from wengang.core.errors import CoreError


class OversightError(CoreError):
    code = "oversight"


class AuditKeyError(OversightError):
    code = "audit_key"


class ChainHeadMissing(OversightError):
    code = "audit_head_missing"


class AnchorFileInvalid(OversightError):
    code = "anchor_file"


class NotAllowed(OversightError):
    code = "not_allowed"


class ReasonRequired(OversightError):
    code = "reason_required"


class NoOpenHold(OversightError):
    code = "no_risk_hold"


class PlanInvalid(OversightError):
    code = "plan_invalid"


class NotInSample(OversightError):
    code = "not_in_sample"


class FindingInvalid(OversightError):
    code = "finding_invalid"
