"""The steps of handling an incident: a complaint's (seeds 002/003, 投诉处理流程), an emergency's last three."""

from domain.labelled import Labelled


class ComplaintStep(Labelled):
    """One step of handling a complaint, in the seeds' order."""

    RECORD = "record", "记录投诉日志", "Record it in the complaint log"
    ACKNOWLEDGE = "acknowledge", "受理投诉（首问负责）", "Take ownership"
    ISOLATE = "isolate", "迅速隔离客户", "Isolate the customer"
    APOLOGISE = "apologise", "安抚客户情绪、充分道歉", "Calm the customer and apologise"
    CHECK_FACTS = "check_facts", "搜集信息、确认是否属实", "Check whether it is founded"
    PROPOSE_SOLUTION = "propose_solution", "给出解决方案", "Propose a solution"
    ASK_CUSTOMER = "ask_customer", "征求客户的意见", "Ask the customer's opinion"
    CARRY_OUT = "carry_out", "立即执行", "Carry it out"
    FOLLOW_UP = "follow_up", "跟踪服务、回访", "Follow up"
    CLOSE = "close", "办结", "Close"
    DONE = "done", "已办结", "Done"

    @property
    def command(self) -> str | None:
        """The command that takes this step (the one vocabulary the CLI and the board offer); None: none."""
        return _COMPLAINT_STEP_COMMANDS.get(self)


# Where a step's name and its command's differ, the command's is the one a person types.
_COMPLAINT_STEP_COMMANDS = {
    ComplaintStep.ACKNOWLEDGE: "acknowledge",
    ComplaintStep.ISOLATE: "isolate_customer",
    ComplaintStep.APOLOGISE: "apologise",
    ComplaintStep.CHECK_FACTS: "check_facts",
    ComplaintStep.PROPOSE_SOLUTION: "propose_solution",
    ComplaintStep.ASK_CUSTOMER: "record_customer_response",
    ComplaintStep.CARRY_OUT: "carry_out_solution",
    ComplaintStep.FOLLOW_UP: "follow_up",
    ComplaintStep.CLOSE: "close",
}


class EmergencyStep(Labelled):
    """The steps of an emergency once its playbook's actions are done or waived (seed 003)."""

    STAND_DOWN = "stand_down", "解除应急状态", "Stand down"
    CLOSE = "close", "办结", "Close"
    DONE = "done", "已办结", "Done"

    @property
    def command(self) -> str | None:
        """The command that takes this step; None once done."""
        return None if self is EmergencyStep.DONE else self.value


def handling_path(*, walk_in: bool, founded: bool | None) -> list[ComplaintStep]:
    """The steps this complaint should go through.

    Isolation is for a customer on the premises; an unfounded complaint skips the solution
    and is confirmed with the customer at follow-up.
    """
    path = [ComplaintStep.RECORD, ComplaintStep.ACKNOWLEDGE]
    if walk_in:
        path.append(ComplaintStep.ISOLATE)
    path += [ComplaintStep.APOLOGISE, ComplaintStep.CHECK_FACTS]
    if founded is not False:
        path += [ComplaintStep.PROPOSE_SOLUTION, ComplaintStep.ASK_CUSTOMER, ComplaintStep.CARRY_OUT]
    path += [ComplaintStep.FOLLOW_UP, ComplaintStep.CLOSE]
    return path


def progress(path: list[ComplaintStep], done: list[ComplaintStep]) -> tuple[ComplaintStep, ComplaintStep]:
    """(current, next): the furthest step done on the path, and the one after it.

    A skipped situational step (isolation, apology) does not pull the complaint back.
    """
    furthest = max(index for index, step in enumerate(path) if step in done or index == 0)
    following = path[furthest + 1] if furthest + 1 < len(path) else ComplaintStep.DONE
    return path[furthest], following
