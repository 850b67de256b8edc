"""The words of complaint handling: channels, categories and outcomes (seed 002, CBIRC 2020 No.3)."""

from domain.labelled import Labelled


class Channel(Labelled):
    """How the complaint reached the bank (投诉渠道)."""

    CALL_CENTRE_PHONE = "call_centre_phone", "95566电话投诉", "95566 call centre, phone"
    CALL_CENTRE_EMAIL = "call_centre_email", "95566邮件投诉", "95566 call centre, e-mail"
    SUGGESTION_BOOK = "suggestion_book", "意见簿(箱)投诉", "Suggestion book or box"
    ONLINE = "online", "网络投诉", "Online"
    WALK_IN = "walk_in", "上门投诉", "Walk-in"
    LETTER = "letter", "信件投诉", "Letter or e-mail"
    MEDIA = "media", "媒体投诉", "Media"
    FORWARDED = (
        "forwarded",
        "上级行及政府部门转来投诉",
        "Forwarded by a higher office, government body or regulator",
    )


class Category(Labelled):
    """What the complaint is about (客户投诉的分类)."""

    SERVICE_QUALITY = "service_quality", "服务质量", "Service quality"
    BUSINESS_OPERATION = "business_operation", "业务操作", "Business operation"
    FINANCIAL_CRIME = "financial_crime", "金融犯罪", "Financial crime"
    ANONYMOUS = "anonymous", "匿名投诉", "Anonymous"


class Subcategory(Labelled):
    """The finer kind within a category, where the seed names one."""

    ATTITUDE = "attitude", "服务态度", "Service attitude"
    PRODUCT = "product", "服务产品", "Service product"
    CHANNEL = "channel", "服务渠道", "Service channel"
    MISTAKE = "mistake", "工作失误", "Mistake at work"
    INTERNAL_MANAGEMENT = "internal_management", "内部管理", "Internal management"
    RULE_VIOLATION = "rule_violation", "违规操作", "Rule violation"

    @property
    def category(self) -> Category:
        """The category this kind belongs to."""
        if self in (Subcategory.ATTITUDE, Subcategory.PRODUCT, Subcategory.CHANNEL):
            return Category.SERVICE_QUALITY
        return Category.BUSINESS_OPERATION


class ComplaintOutcome(Labelled):
    """How a complaint ended."""

    RESOLVED = "resolved", "已解决", "Resolved"
    UNFOUNDED = "unfounded", "经核实不属实", "Unfounded"
    WITHDRAWN = "withdrawn", "客户撤回", "Withdrawn by the customer"


class WithdrawalConfirmation(Labelled):
    """How the customer's withdrawal of the complaint was confirmed (撤回投诉的确认方式)."""

    PHONE = "phone", "电话确认", "By phone"
    IN_PERSON = "in_person", "当面确认", "In person"
    WRITTEN = "written", "书面确认", "In writing"
