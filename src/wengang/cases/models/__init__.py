"""The models of cases: units and runs, cases and events, review, publicity, the rest.

Split by idea (``runs``, ``case``, ``review``, ``publicity``, ``application``, ``parameters``);
import them from here.
"""

from .application import Commitment, CommitmentText, LateClaim, RescreenFlag, ServiceOfficerTask
from .case import (
                   APPROVED_STATES,
                   CLOSED_STATES,
                   TRAINING,
                   UNAPPROVED_OPEN_STATES,
                   Action,
                   Case,
                   CaseEvent,
                   CaseQuerySet,
                   ClosedReason,
                   HoldKind,
                   State,
)
from .claim_item import ClaimItem, Subject, item_key
from .common import (
                     AccountKind,
                     Channel,
                     ReceivingAccount,
                     Route,
                     Size,
                     region_prefix,
                     region_q,
                     sealed_account_fields,
)
from .parameters import CalendarDay, WorkflowParameters
from .person import Person, mask_name
from .publicity import Objection, PublicityBatch, PublicityItem, PublicityListing
from .review import ReviewBatch, ReviewItem, ReviewObjection, ReviewTask
from .runs import ScreeningRun, Unit

__all__ = [
    "APPROVED_STATES", "CLOSED_STATES", "TRAINING", "UNAPPROVED_OPEN_STATES", "AccountKind", "Action",
    "CalendarDay",
    "Case", "CaseEvent", "CaseQuerySet", "Channel", "ClaimItem", "ClosedReason", "Commitment",
    "CommitmentText", "HoldKind", "LateClaim", "Objection", "Person", "PublicityBatch", "PublicityItem",
    "PublicityListing",
    "ReceivingAccount", "RescreenFlag", "ReviewBatch", "ReviewItem", "ReviewObjection", "ReviewTask", "Route",
    "ScreeningRun", "ServiceOfficerTask", "Size", "State", "Subject", "Unit",
    "WorkflowParameters", "item_key", "mask_name", "region_prefix", "region_q", "sealed_account_fields",
]
