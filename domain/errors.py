"""Domain errors: every refusal the model gives, in two families the interface maps to HTTP.

    DomainError                     code, message, incident_id
    ├── RuleBrokenError             409: a business rule refused the command
    │   ├── IncidentClosedError         the incident is closed
    │   ├── IncidentNotClosedError      only a closed incident can be reopened
    │   ├── IncidentStoodDownError      the emergency was stood down
    │   ├── StepOutOfOrderError         a handling step came before the step it needs
    │   ├── AlreadyDoneError            the step was already done
    │   │   └── AlreadyOwnedError       someone already owns the complaint
    │   ├── ExtensionRefusedError       the complaint deadline cannot be extended so
    │   ├── ClockStateError             the complaint clock is not in the state asked for
    │   ├── LevelChangeError            the warning level cannot change so
    │   ├── ApprovalRequiredError       a superior's approval is missing
    │   ├── StandDownRefusedError       required playbook actions are open, no waiver
    │   ├── NotResponsibleError         only the person responsible may hand over
    │   ├── NotTheReceiverError         a pending handover named another desk
    │   ├── AlreadyInChargeError        someone else is in charge of the emergency
    │   └── ThresholdsUnchangedError    a change of the thresholds changes nothing (domain.thresholds)
    └── InvalidInputError           422: `field` names the offending input
        ├── UnknownActionError          not an action of this emergency's playbook
        ├── CorrectionTargetError       a correction points at no earlier event
        ├── OrganisationError           the units do not form one tree (domain.organisation)
        └── UnknownUnitError            no unit of the organisation has that code (domain.organisation)

A refusal records nothing: commands check every rule before they trigger an event.
"""

from typing import ClassVar
from uuid import UUID


class DomainError(Exception):
    """A command the domain model refused; `code` is stable for machines, `message` for people."""

    code: ClassVar[str] = "domain_error"

    def __init__(self, message: str, *, incident_id: UUID | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.incident_id = incident_id


class RuleBrokenError(DomainError):
    """A business rule refused the command."""

    code = "rule_broken"


class IncidentClosedError(RuleBrokenError):
    """The incident is closed: only notes, corrections and reopening are allowed."""

    code = "incident_closed"


class IncidentNotClosedError(RuleBrokenError):
    """Only a closed incident can be reopened."""

    code = "incident_not_closed"


class IncidentStoodDownError(RuleBrokenError):
    """The emergency was stood down: the scene is no longer being worked."""

    code = "incident_stood_down"


class StepOutOfOrderError(RuleBrokenError):
    """A handling step was attempted before the step it depends on."""

    code = "step_out_of_order"


class AlreadyDoneError(RuleBrokenError):
    """The step was already done and cannot be done twice."""

    code = "already_done"


class AlreadyOwnedError(AlreadyDoneError):
    """The complaint already has an owner (首问责任制: the first person asked keeps it)."""

    code = "already_owned"


class ExtensionRefusedError(RuleBrokenError):
    """The complaint deadline cannot be extended as asked."""

    code = "extension_refused"


class ClockStateError(RuleBrokenError):
    """The complaint clock is not in the state the command needs (paused or running)."""

    code = "clock_state"


class LevelChangeError(RuleBrokenError):
    """The warning level cannot change as asked."""

    code = "level_change_refused"


class ApprovalRequiredError(RuleBrokenError):
    """The command needs a superior's approval that was not given."""

    code = "approval_required"


class StandDownRefusedError(RuleBrokenError):
    """Required playbook actions are still open and no waiver reason was given."""

    code = "stand_down_refused"

    def __init__(self, message: str, *, open_actions: list[str], incident_id: UUID | None = None) -> None:
        super().__init__(message, incident_id=incident_id)
        self.open_actions = open_actions


class NotResponsibleError(RuleBrokenError):
    """Only the person responsible (the complaint's owner, the emergency's person in charge) hands over."""

    code = "not_responsible"


class NotTheReceiverError(RuleBrokenError):
    """A handover is waiting for another desk (the office, or another position) to take it up."""

    code = "not_the_receiver"


class AlreadyInChargeError(RuleBrokenError):
    """Someone else is in charge of the emergency and did not hand it over."""

    code = "already_in_charge"


class InvalidInputError(DomainError):
    """The command's input is invalid; `field` names the offending field."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str, incident_id: UUID | None = None) -> None:
        super().__init__(message, incident_id=incident_id)
        self.field = field


class UnknownActionError(InvalidInputError):
    """The action code is not in the playbook of this kind of emergency."""

    code = "unknown_action"


class CorrectionTargetError(InvalidInputError):
    """A correction must point at an existing earlier event of the same incident."""

    code = "correction_target"
