"""The two types of incident, by the names that board rows, the API and the feed carry."""

from enum import StrEnum

from domain.complaint_terms import Category
from domain.emergency_terms import EmergencyKind
from domain.labelled import Bilingual, Labelled
from domain.playbooks import PlaybookAction, find_action
from domain.steps import ComplaintStep, EmergencyStep


class IncidentType(StrEnum):
    """A complaint or an emergency."""

    # The value is the plain string board rows and the API's JSON hold. Never stored in an event
    # (an event's class says its type), so a StrEnum is safe here.
    COMPLAINT = "complaint"
    EMERGENCY = "emergency"

    @property
    def code(self) -> str:
        """The value, as every `Bilingual` is read."""
        return self.value

    @property
    def zh(self) -> str:
        """The Chinese name."""
        return "投诉" if self is IncidentType.COMPLAINT else "突发事件"

    @property
    def en(self) -> str:
        """The English name."""
        return "Complaint" if self is IncidentType.COMPLAINT else "Emergency"

    @property
    def plural(self) -> str:
        """The plural, as the API's collection paths spell it (/api/v1/complaints)."""
        return "complaints" if self is IncidentType.COMPLAINT else "emergencies"

    def kind_named(self, code: str) -> Labelled:
        """The kind with this code: a complaint's category or an emergency's kind."""
        return Category(code) if self is IncidentType.COMPLAINT else EmergencyKind(code)

    def step_named(self, kind: str, code: str) -> Bilingual:
        """The step or playbook action with this code, of an incident of this type and `kind`.

        The same action code (report_superior, call_police, ...) reads differently in each playbook,
        hence the kind. An action code no longer in its playbook (the table changed since a board
        row was written) reads as its code.
        """
        if self is IncidentType.COMPLAINT:
            return ComplaintStep(code)
        if code in {step.value for step in EmergencyStep}:
            return EmergencyStep(code)
        return find_action(EmergencyKind(kind), code) or PlaybookAction(code=code, zh=code, en=code)
