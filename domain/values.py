"""The domain's value types in one place, and the tuples the store's transcoding is built from."""

from enum import Enum

from domain.actors import CLOCK_SKEW_TOLERANCE, Actor, Position, Role, Stamp
from domain.complaint_clock import ComplaintClock
from domain.complaint_terms import Category, Channel, ComplaintOutcome, Subcategory, WithdrawalConfirmation
from domain.contact import CustomerContact
from domain.emergency_terms import Audience, Authority, EmergencyKind
from domain.handover import Handover
from domain.labelled import Labelled
from domain.level import Level
from domain.outlet_queue import QueueReading
from domain.status import IncidentStatus

# Every Enum that appears in an event or in an aggregate's state (snapshots store __dict__).
ENUM_TYPES: tuple[type[Enum], ...] = (
    Role,
    Level,
    Channel,
    Category,
    Subcategory,
    ComplaintOutcome,
    WithdrawalConfirmation,
    EmergencyKind,
    Authority,
    Audience,
    IncidentStatus,
    Position,
)

# Every frozen dataclass that appears in an event or in an aggregate's state.
VALUE_TYPES: tuple[type, ...] = (
    Actor,
    CustomerContact,
    ComplaintClock,
    QueueReading,
    Handover,
)

__all__ = [
    "CLOCK_SKEW_TOLERANCE",
    "ENUM_TYPES",
    "VALUE_TYPES",
    "Actor",
    "Audience",
    "Authority",
    "Category",
    "Channel",
    "ComplaintClock",
    "ComplaintOutcome",
    "CustomerContact",
    "EmergencyKind",
    "Handover",
    "IncidentStatus",
    "Labelled",
    "Level",
    "Position",
    "QueueReading",
    "Role",
    "Stamp",
    "Subcategory",
    "WithdrawalConfirmation",
]
