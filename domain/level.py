"""The four warning colours of public-opinion risk and branch emergencies (蓝黄橙红)."""

from typing import Self

from domain.labelled import Labelled


class Level(Labelled):
    """A warning level: what the risk's reach means and how fast it is handled."""

    rank: int
    meaning_zh: str
    meaning_en: str
    handling_zh: str
    handling_en: str

    BLUE = "blue", 1, "蓝色", "Blue", "单一性", "single, isolated", "冷处理", "cold: handle quietly"
    YELLOW = (
        "yellow",
        2,
        "黄色",
        "Yellow",
        "关联性",
        "related, linked to others",
        "准处理",
        "careful and precise",
    )
    ORANGE = "orange", 3, "橙色", "Orange", "广泛性", "widespread", "快处理", "fast"
    RED = "red", 4, "红色", "Red", "全面性", "all-round, systemic", "急处理", "urgent"

    def __new__(
        cls,
        value: str,
        rank: int = 0,
        zh: str = "",
        en: str = "",
        meaning_zh: str = "",
        meaning_en: str = "",
        handling_zh: str = "",
        handling_en: str = "",
    ) -> Self:
        member = object.__new__(cls)
        member._value_ = value
        member.rank = rank
        member.zh = zh
        member.en = en
        member.meaning_zh = meaning_zh
        member.meaning_en = meaning_en
        member.handling_zh = handling_zh
        member.handling_en = handling_en
        return member

    def is_higher_than(self, other: "Level") -> bool:
        """True when this level is more severe than `other`."""
        return self.rank > other.rank

    def is_lower_than(self, other: "Level") -> bool:
        """True when this level is less severe than `other`."""
        return self.rank < other.rank
