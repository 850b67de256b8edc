"""Personal information (个人信息) in the record: which fields hold it, and who sees it unmasked.

A complainant's contact details, the customer or account reference they gave, and the contact left
for a second retention attempt identify a person. The rule is by field name, one list for the whole
product, so that an event recorded before a field became a value object (a free-text
`second_contact`) is masked as well: these fields are stored encrypted (application/personal_data.py),
masked on every board, in the feed and in histories, and shown in full only to the desks that answer
the customer. Anyone else who reads an incident in full states why, and that read is recorded.
"""

from typing import Any

from domain.actors import Role

PERSONAL_FIELDS = frozenset({"customer_reference", "contact", "second_contact"})
# What a masked value reads as, wherever one is shown.
MASKED = "<personal>"
# The desks that answer the customer (seed 000: 首问负责 at the branch, the 95566 call centre) and the
# emergency office that takes over an escalated complaint: they need to reach the customer.
ANSWERS_THE_CUSTOMER = frozenset({Role.BRANCH, Role.CALL_CENTRE, Role.OFFICE})
MIN_REVEAL_REASON = 10  # characters: "audit" is no reason an auditor can later be asked about


def sees_personal_data(role: Role) -> bool:
    """True for a desk that answers the customer: it reads personal data in full, unasked."""
    return role in ANSWERS_THE_CUSTOMER


def holds_personal_data(value: Any) -> bool:
    """True unless the field is empty (an empty field is shown as it is: nothing is withheld)."""
    if value is None or value == "":
        return False
    is_empty = getattr(value, "is_empty", None)
    return not (isinstance(is_empty, bool) and is_empty)
