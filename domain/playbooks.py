"""The branch emergency playbooks of seed 003 (网点应急处理预案) as data: one checklist per kind."""

from dataclasses import dataclass

from domain.actors import Position
from domain.emergency_terms import Audience, Authority, EmergencyKind

# Second diversion (二次分流) is due when customers wait 10 minutes or more and 15 or more wait
# (seed 003: "客户等待时间10分钟以上、15人以上"; 以上 includes the number itself).
SECOND_DIVERSION_WAIT_MINUTES = 10
SECOND_DIVERSION_WAITING_CUSTOMERS = 15


@dataclass(frozen=True)
class PlaybookAction:
    """One required action of a playbook; notifying `authority` counts as doing it.

    `by_position` is the post the seed gives the action to ("网点负责人迅速出面" → the branch head,
    "保安人员迅速疏散客户" → the security guard). It says whom the board expects to do it; anyone at
    the branch may still record it done, since if they are absent everyone present is responsible.
    An action with `audiences` is a notice (公告): it is done by approved announcements to every
    one of those audiences, never ticked off by hand (the seed: only after permission).
    """

    code: str
    zh: str
    en: str
    authority: Authority | None = None
    by_position: Position | None = None
    audiences: tuple[Audience, ...] = ()

    @property
    def command(self) -> str:
        """The command that does it: an approved announcement for a notice, else ticking it off
        (`complete_playbook_action --action CODE`; notifying its authority counts as well)."""
        return "make_announcement" if self.audiences else "complete_playbook_action"


def _action(
    code: str,
    zh: str,
    en: str,
    authority: Authority | None = None,
    audiences: tuple[Audience, ...] = (),
    *,
    by: Position | None = None,
) -> PlaybookAction:
    return PlaybookAction(code=code, zh=zh, en=en, authority=authority, by_position=by, audiences=audiences)


def _report_superior(
    zh: str = "向上级行服务突发事件应急处理办公室报告",
    en: str = "Report to the superior's emergency office",
) -> PlaybookAction:
    return _action("report_superior", zh, en, Authority.SUPERIOR_OFFICE)


def _move_valuables() -> PlaybookAction:
    return _action(
        "move_cash_vouchers_ledgers",
        "将现金、凭证和账簿转移到安全地方",
        "Move cash, vouchers and ledgers to safety",
    )


def _keep_cctv() -> PlaybookAction:
    return _action("keep_cctv", "保存监控录像资料，以备查询", "Keep the CCTV recording for the inquiry")


def _call_police(zh: str, en: str) -> PlaybookAction:
    return _action("call_police", zh, en, Authority.POLICE_110)


PLAYBOOKS: dict[EmergencyKind, list[PlaybookAction]] = {
    EmergencyKind.BANK_RUN: [
        _action(
            "branch_head_explains",
            "网点负责人迅速出面疏导客户，做好宣传解释工作",
            "Branch head comes out to explain and guide customers",
            by=Position.BRANCH_HEAD,
        ),
        _action(
            "raise_funds_and_pay",
            "立即筹措资金先行兑付，进行自救处理",
            "Raise funds and pay out at once",
        ),
        _report_superior("向上级行应急处理领导小组报告", "Report to the superior's emergency group"),
        _action(
            "superior_moves_funds",
            "上级行启动应急预案，从内部调运资金，必要时向当地人民银行求助",
            "Superior starts its plan and moves funds (the central bank if needed)",
        ),
        _action(
            "security_keeps_order",
            "调动安保人员维护现场秩序",
            "Security keeps order",
            by=Position.SECURITY_GUARD,
        ),
        _call_police("协调当地公安部门帮助维持兑付秩序", "Ask the police to help keep order at the counters"),
    ],
    EmergencyKind.FIRE: [
        _action(
            "fight_fire",
            "组织人员实施灭火自救，防止火势蔓延",
            "Fight the fire with own means",
            by=Position.BRANCH_HEAD,
        ),
        _action("call_119", "第一时间拨打119报警电话", "Call 119 at once", Authority.FIRE_119),
        _report_superior(),
        _move_valuables(),
        _action(
            "guard_vault_and_counters",
            "做好金库、柜台等重点场所的防盗、防抢工作",
            "Guard the vault and counters",
        ),
        _action(
            "evacuate_people",
            "做好客户和员工疏导转移工作，维护现场秩序",
            "Evacuate customers and staff and keep order",
        ),
        _action(
            "guide_fire_engines",
            "安排人员引导消防车抵达火灾现场，配合消防人员工作",
            "Guide the fire engines to the scene and help the firefighters",
        ),
        _action(
            "notice_to_customers_and_media",
            "经上级行应急处理领导小组研究后，做好客户和媒体的公告工作",
            "Notice to customers and media once the superior decides",
            audiences=(Audience.CUSTOMERS, Audience.MEDIA),
        ),
        _action(
            "protect_scene",
            "保护火灾现场，配合公安消防部门调查",
            "Protect the scene for the fire investigation",
        ),
    ],
    EmergencyKind.SERVICE_DISRUPTION: [
        _action("calm_customers", "迅速开展客户安抚工作", "Calm the customers"),
        _report_superior("第一时间向上级行服务突发事件应急处理领导小组报告"),
        _action(
            "announce_to_customers",
            "在取得许可后及时向客户公告",
            "Announce to customers once permitted",
            audiences=(Audience.CUSTOMERS,),
        ),
        _action(
            "remedial_and_safety_measures",
            "做好补救和安全防范措施",
            "Take remedial and safety measures",
        ),
        _action("keep_hall_order", "维持营业厅秩序", "Keep order in the hall"),
    ],
    EmergencyKind.ROBBERY: [
        _call_police("立即向110报警", "Call 110 at once"),
        _report_superior(),
        _action(
            "evacuate_customers",
            "保安人员迅速疏散客户",
            "Security evacuates the customers",
            by=Position.SECURITY_GUARD,
        ),
        _action("help_injured", "对受伤客户迅速实行救助", "Help the injured"),
        _move_valuables(),
        _action(
            "protect_scene_and_cctv",
            "犯罪分子逃跑的，保护好现场及监控录像",
            "If the robbers fled: protect the scene and the CCTV recording",
        ),
        _action(
            "brief_police",
            "如实向公安部门提供有关情况",
            "If the robbers fled: brief the police truthfully",
        ),
    ],
    EmergencyKind.CUSTOMER_SURGE: [
        _action(
            "open_more_counters",
            "及时调整营业柜台，增设服务窗口",
            "Open more counters",
            by=Position.BRANCH_HEAD,
        ),
        _action(
            "divert_customers",
            "大堂经理主动询问客户业务，引导可自助办理的业务到自助服务区",
            "Lobby manager asks each customer's business and sends what can be done to "
            "the self-service machines",
            by=Position.LOBBY_MANAGER,
        ),
        _action(
            "calm_waiting_customers",
            "采取多种方式缓解客户焦躁情绪",
            "Calm the waiting customers",
        ),
    ],
    EmergencyKind.GATHERING: [
        _action(
            "head_and_security_on_scene",
            "网点负责人和安保人员迅速到场",
            "Branch head and security come to the scene",
            by=Position.BRANCH_HEAD,
        ),
        _action(
            "persuade_warn_ask_to_leave",
            "正面劝导，进行法制宣传和警告，开展疏导教育和劝离工作",
            "Persuade, warn of the law and ask them to leave",
        ),
        _action("start_security_measures", "立即启动安防措施", "Start the security measures"),
        _move_valuables(),
        _call_police(
            "及时向公安机关报告情况，联系警察到达现场",
            "Call the police to the scene",
        ),
        _report_superior(),
        _action(
            "keep_cctv",
            "保存好监控录像资料，配合公安机关调查取证",
            "Keep the CCTV recording for the police",
        ),
    ],
    EmergencyKind.CUSTOMER_ILL: [
        _action(
            "rest_and_help",
            "迅速安排客户休息，提供必要的帮助",
            "Let the customer rest and help them",
            by=Position.LOBBY_MANAGER,
        ),
        _action(
            "call_120",
            "突发重大疾病时立即联系紧急医疗救护",
            "Call an ambulance (120) when it is serious",
            Authority.AMBULANCE_120,
        ),
        _action(
            "clear_the_way",
            "保安人员维持好现场秩序，确保急救车顺利到达",
            "Security keeps order and clears the way for the ambulance",
            by=Position.SECURITY_GUARD,
        ),
        _action(
            "tell_family",
            "第一时间通知客户家属或单位",
            "Tell the family or employer",
        ),
        _keep_cctv(),
    ],
    EmergencyKind.CUSTOMER_INJURED: [
        _action(
            "head_checks_and_comforts",
            "网点负责人及时出面，主动查看客户伤情，安抚慰问",
            "Branch head checks the injury and comforts the customer",
            by=Position.BRANCH_HEAD,
        ),
        _action("first_aid", "必要时为客户提供救助", "Give first aid"),
        _action(
            "tell_family",
            "协助联系客户家属或单位",
            "Tell the family or employer",
        ),
        _report_superior(
            "由于银行方面造成客户伤害的，及时上报上级行服务突发事件应急处理办公室",
            "If the bank caused it: report to the superior's emergency office",
        ),
        _action(
            "negotiate_claim",
            "客户要求索赔的，积极与客户协商解决",
            "Handle a claim by negotiation",
        ),
        _keep_cctv(),
    ],
    EmergencyKind.DISRUPTIVE_PERSON: [
        _action(
            "ask_to_stop_or_leave",
            "网点负责人及时劝导客户停止不合理行为，劝其离开",
            "Branch head asks them to stop or leave",
            by=Position.BRANCH_HEAD,
        ),
        _call_police(
            "劝导无效的，联系公安机关维持营业秩序",
            "If that fails, call the police",
        ),
        _report_superior("上报上级服务突发事件应急处理办公室协调处理"),
        _keep_cctv(),
    ],
    EmergencyKind.NATURAL_DISASTER: [
        _action("stay_calm", "网点人员保持冷静", "Stay calm"),
        _action("keep_order", "视情况及时维持现场秩序", "Keep order"),
        _action("protect_people_and_property", "保护人员财产安全", "Protect people and property"),
        _report_superior("报上级服务突发事件应急处理办公室负责协调处理"),
    ],
    EmergencyKind.MEDIA_REPORT: [
        _report_superior(
            "最先获悉消息的营业网点迅速上报上级行服务突发事件应急处理办公室",
            "Whoever learns of it first reports to the superior's emergency office at once",
        ),
        _action(
            "national_media_to_tier1_branch",
            "中央以及外省市新闻媒体采访，第一时间上报分行处理",
            "National or out-of-province media go to the tier-1 branch",
        ),
        _action(
            "defuse_local_coverage",
            "当地负面报道尽可能化解在萌芽状态，不能自行化解的及时上报分行",
            "Defuse local negative coverage early, or report it upward without delay",
        ),
    ],
    EmergencyKind.CUSTOMER_FILMING: [
        _action(
            "tell_head_and_lobby_manager",
            "最先发现情况的网点人员及时通知营业网点负责人、大堂经理",
            "Tell the branch head and the lobby manager",
        ),
        _action(
            "invite_to_meeting_room",
            "及时请来访人员到封闭的会客厅稍坐",
            "Invite them politely into a closed meeting room",
        ),
        _report_superior("报告上级主管部门", "Report it to the superior office"),
        _action(
            "explain_reported_upward",
            "礼貌表达已报告上级主管部门，会合法按规定处理",
            "Say politely that the matter has been reported upward and will be handled by the rules",
        ),
    ],
}


def playbook_for(kind: EmergencyKind) -> list[PlaybookAction]:
    """The required actions for `kind`, in the seed's order (a copy: the table stays fixed)."""
    return list(PLAYBOOKS[kind])


def find_action(kind: EmergencyKind, code: str) -> PlaybookAction | None:
    """The action of `kind`'s playbook with this code, if there is one."""
    return next((action for action in PLAYBOOKS[kind] if action.code == code), None)


def needs_second_diversion(
    *,
    waiting: int,
    longest_wait_minutes: float,
    waiting_at_least: int = SECOND_DIVERSION_WAITING_CUSTOMERS,
    minutes_at_least: float = SECOND_DIVERSION_WAIT_MINUTES,
) -> bool:
    """True when a queue reading calls for the second diversion (二次分流): the one surge rule.

    The seed's 以上 reads as "or more". Its thresholds are the bank's settings (domain/thresholds.py);
    without them, the seed's own 15 customers and 10 minutes.
    """
    return waiting >= waiting_at_least and longest_wait_minutes >= minutes_at_least
