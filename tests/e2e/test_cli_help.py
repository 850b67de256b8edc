"""The CLI explains itself: every command and its fields from the declarations, what an incident accepts now, id prefixes."""

from __future__ import annotations

import re
import uuid

from domain.commands import commands_of
from domain.complaint import Complaint
from domain.emergency import Emergency
from interfaces.client.field_types import known_commands
from tests.e2e.test_branch_client import Branch, Server, office, server, teller  # noqa: F401 (fixtures)

SYSTEM = {"flag_idle", "warn_deadline"}
OFFER = re.compile(r"^\s+(?:→ 下一步 next)?\s+([a-z_]+)\s")


def said(output: str) -> str:
    """The words of an error, without the box rich draws around it and its line breaks."""
    return " ".join(re.sub("[│╭╮╰╯─]", " ", output).split())


def offered(listing: str) -> list[str]:
    """The command names of `incident act ID`'s list."""
    return [m.group(1) for line in listing.splitlines()[1:] if (m := OFFER.match(line))]


def test_act_help_lists_every_command_a_person_may_send_with_its_fields(teller: Branch) -> None:  # noqa: F811
    shown = teller("act", "--help")
    assert shown.exit_code == 0, shown.output
    for kind in (Complaint, Emergency):
        for name, declared in commands_of(kind).items():
            if declared.system or declared.audit:  # the recorded read is `incident reveal`
                assert f"  {name} " not in shown.stdout
                continue
            assert f"  {name} " in shown.stdout, name
            for field in declared.parameters:
                assert f"--{field.replace('_', '-')}" in shown.stdout, (name, field)
    assert SYSTEM.isdisjoint(known_commands())


def test_a_commands_own_help_names_its_fields_required_or_not(teller: Branch) -> None:  # noqa: F811
    for args in (("act", str(uuid.uuid4()), "check_facts", "--help"), ("act", "check-facts", "--help")):
        shown = teller(*args)
        assert shown.exit_code == 0, shown.output
        assert "Record whether the complaint is founded" in shown.stdout
        assert "--founded" in shown.stdout
        assert "--findings TEXT" in shown.stdout
        assert shown.stdout.count("required") == 2
        assert "incident act ID check_facts --founded --findings ..." in shown.stdout
    escalate = teller("act", "escalate", "--help").stdout
    assert "--level blue|yellow|orange|red" in escalate
    assert "the office's decision" in escalate
    refused = teller("act", str(uuid.uuid4()), "flag_idle")
    assert refused.exit_code == 2
    assert "the system's own mark" in said(refused.output)


def test_act_with_no_command_lists_what_the_incident_accepts_now_and_a_prefix_names_it(
    server: Server,  # noqa: F811
    teller: Branch,  # noqa: F811
    office: Branch,  # noqa: F811
) -> None:
    incident = str(uuid.uuid4())
    with server.up():
        assert teller.report_complaint(incident).exit_code == 0
        listed = teller("act", incident)
        assert listed.exit_code == 0, listed.output
        lines = listed.stdout.splitlines()
        assert "下一步 next" in lines[1]
        assert "acknowledge" in lines[1]
        assert "close" not in offered(listed.stdout)  # the office's decision
        assert "close" in offered(office("act", incident).stdout)

        prefix = incident[:8]
        shown = teller("show", prefix)
        assert shown.exit_code == 0, shown.output
        assert incident in shown.stdout
        assert f"→ incident act {prefix} acknowledge" in shown.stdout  # the step by its command's name
        done = teller("act", prefix, "acknowledge")
        assert done.exit_code == 0, done.output
        assert "Version: 2" in done.stdout

        unknown = teller("show", "ffff0000")
        assert unknown.exit_code == 2
        assert "no incident this token may read has an id starting 'ffff0000'" in said(unknown.output)
    offline = teller("show", prefix)
    assert offline.exit_code == 2
    assert "give the whole id" in said(offline.output)
