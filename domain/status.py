"""Where an incident stands: open, stood down (emergencies only) or closed."""

from domain.labelled import Labelled


class IncidentStatus(Labelled):
    """The life-cycle status shared by complaints and emergencies."""

    OPEN = "open", "处理中", "Open"
    STOOD_DOWN = "stood_down", "已解除", "Stood down"
    CLOSED = "closed", "已关闭", "Closed"
