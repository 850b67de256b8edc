"""The words of branch emergencies: the twelve kinds of seed 003, authorities, audiences."""

from domain.labelled import Labelled


class EmergencyKind(Labelled):
    """The kinds of branch emergency that have a playbook (应急处理预案)."""

    BANK_RUN = "bank_run", "存款挤兑", "Bank run"
    FIRE = "fire", "火灾", "Fire"
    SERVICE_DISRUPTION = (
        "service_disruption",
        "系统或电力故障",
        "Service disruption (system or power failure)",
    )
    ROBBERY = "robbery", "抢劫", "Robbery"
    CUSTOMER_SURGE = "customer_surge", "客流激增", "Customer surge"
    GATHERING = "gathering", "聚集闹事", "Gathering or disturbance"
    CUSTOMER_ILL = "customer_ill", "客户身体不适或突发疾病", "Customer taken ill"
    CUSTOMER_INJURED = "customer_injured", "客户人身伤害", "Customer injured"
    DISRUPTIVE_PERSON = (
        "disruptive_person",
        "干扰他人或不合理占用银行资源",
        "Disruptive person",
    )
    NATURAL_DISASTER = "natural_disaster", "洪水、台风、地震等自然灾害", "Natural disaster"
    MEDIA_REPORT = "media_report", "重大、失实媒体报道", "Major or false media report"
    CUSTOMER_FILMING = "customer_filming", "客户私自摄像", "Customer filming"


class Authority(Labelled):
    """Who an emergency is reported to outside the branch."""

    POLICE_110 = "police_110", "公安110", "Police (110)"
    FIRE_119 = "fire_119", "消防119", "Fire brigade (119)"
    AMBULANCE_120 = "ambulance_120", "急救120", "Ambulance (120)"
    SUPERIOR_OFFICE = (
        "superior_office",
        "上级行服务突发事件应急处理办公室",
        "Superior office's emergency handling office",
    )
    CENTRAL_BANK = "central_bank", "中国人民银行", "People's Bank of China"
    REGULATOR = "regulator", "金融监管部门", "Financial regulator"


class Audience(Labelled):
    """Who an announcement is addressed to."""

    CUSTOMERS = "customers", "客户", "Customers"
    MEDIA = "media", "媒体", "Media"
    PUBLIC = "public", "社会公众", "Public"
    STAFF = "staff", "员工", "Staff"
