"""The typed values that flow between pipeline stages.

document -> sentences -> mentions -> entities/relations/indicators -> graph.
Every stage is a plain function from one of these to the next; all offsets
are character offsets into the *original* text of the document, so a fact can
always be pointed at in the file the user gave us.
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

ENTITY_TYPES = (
    "Enterprise", "Village", "Community", "AdministrativeArea", "Project",
    "Institution", "GovernmentAgency", "Industry", "Place", "Award",
    "Program", "Person",
)
RELATIONS = (
    "partOf", "locatedIn", "belongsToIndustry", "cooperatesWith",
    "receivedAward", "awardedBy", "involves", "hasStatus",
)
STATUSES = ("planned", "ongoing", "completed")
KINDS = ("actual", "estimate", "target")


@dataclass(frozen=True, eq=False)
class Document:
    """A report as read from disk: cleaned text plus a map to the original.

    The map is kept as runs, not one offset per character (a 50 MB file would
    need gigabytes so): ``run_starts[k]`` is where the k-th unbroken run of kept
    characters begins in ``text``, ``run_origins[k]`` where it began in the original."""
    doc_id: str            # file stem, e.g. "000_422bfd801309c4b5"
    path: str              # the path as given
    text: str              # cleaned text the extractors read
    run_starts: array      # array("q"), ascending
    run_origins: array     # array("q")
    original_length: int

    def original_offset(self, i: int) -> int:
        """Where text[i] stands in the original file."""
        k = bisect_right(self.run_starts, i) - 1
        return self.run_origins[k] + (i - self.run_starts[k])

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a [start, end) span of the cleaned text to the original file."""
        if not self.text:
            return (0, 0)
        begin = self.original_offset(start) if start < len(self.text) else self.original_length
        last = self.original_offset(end - 1) + 1 if end > 0 else begin
        return (begin, max(begin, last))


@dataclass(frozen=True)
class Sentence:
    index: int
    text: str
    start: int             # offset in Document.text
    end: int
    part: str              # "header", "review", "problems", "plan" or "closing"
    year: int | None       # the year the sentence's facts are about
    section: str = ""      # e.g. "一、聚焦调结构、促转型，经济发展后劲不断增强"


@dataclass(frozen=True)
class Mention:
    """A span of a sentence that names an entity."""
    text: str              # surface form as written
    label: str             # normalised name (quotes, level words removed)
    type: str              # one of ENTITY_TYPES
    sentence: int          # Sentence.index
    start: int             # offsets in Document.text
    end: int
    rule: str              # id of the rule that produced it
    priority: int = 0


@dataclass
class Entity:
    label: str
    type: str
    aliases: set[str] = field(default_factory=set)
    mentions: list[Mention] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.type, self.label)


@dataclass(frozen=True)
class Relation:
    subject: tuple[str, str]   # entity key (type, label)
    predicate: str             # one of RELATIONS
    object: tuple[str, str] | str  # entity key, or a status name for hasStatus
    sentence: int
    rule: str


@dataclass(frozen=True)
class Indicator:
    subject: tuple[str, str]   # entity key
    metric: str
    value: Decimal | None
    unit: str | None
    year: int | None
    growth_pct: Decimal | None
    kind: str                  # one of KINDS
    sentence: int
    start: int                 # span of the number in Document.text
    end: int
    rule: str


@dataclass(frozen=True)
class ReportInfo:
    """What the report says about itself (its header)."""
    title: str = ""
    date: str | None = None        # ISO date of the meeting
    meeting: str | None = None     # 西夏墅镇第五届人民代表大会第三次会议
    speaker: str | None = None     # 蔡刚
    area_chain: tuple[str, ...] = ()  # ("常州市", "新北区", "西夏墅镇") as written
    review_year: int | None = None
    plan_year: int | None = None


@dataclass
class Extraction:
    """Everything extracted from one document."""
    document: Document
    info: ReportInfo
    sentences: list[Sentence]
    area_path: tuple[str, ...]     # full path of the governed area, province first
    entities: list[Entity]
    relations: list[Relation]
    indicators: list[Indicator]
