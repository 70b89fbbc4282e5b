"""The data contract: the tables every source must produce, their columns, types and rules.

One dataset is a directory holding up to seven tables, each as ``NAME.parquet``,
``NAME.csv`` or a folder ``NAME/`` of Parquet parts:

- ``groups``       one row per chat group
- ``memberships``  one row per stay of a member in a group (a member may rejoin)
- ``messages``     one row per message
- ``assignments``  optional: experiment arm per group
- ``conversions``  optional: purchases, redeemed coupons, sign-ups attributed to a group
- ``activities``   optional: group activities (quiz, check-in, live session, ...)
- ``activity_participants``  optional: who took part in each activity

Timestamps are instants in UTC. Member ids are pseudonyms (never names or phone
numbers); message text is not part of the contract (its length is).

Everything here is declarative: the column lists drive the DuckDB types used when a
table is read (``engine``), the row checks that validation runs as SQL where the data
lives (``validation``) and the table documentation in ``data/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES = ("owner", "monitor", "assistant", "member")
"""Stored member roles. KOC (key opinion consumer) is derived from activity, never stored."""

MESSAGE_KINDS = ("chat", "dry", "wet", "promo", "activity", "welcome", "system")
"""chat: conversation; dry: useful non-commercial content (tips, answers);
wet: brand-serving content that is not a direct offer (product stories, reviews);
promo: a direct offer (discount, sale link, coupon); activity: a group activity post
(quiz, check-in, live session); welcome: automatic welcome / rules announcement;
system: platform service line (joined, left, removed), no sender needed."""


CHANNELS = ("offline", "parcel_card", "kol", "ads", "shop", "referral", "other", "mixed")
"""Acquisition channel a group was recruited from; ``mixed`` when recruited from several."""

LEAVE_REASONS = ("quit", "removed")


MESSAGE_FORMS = ("text", "media", "link", "service")
"""What a message is made of, as chat exports record it: text, media (photo, file, voice,
sticker; any caption counts in text_length), link (text with a URL), service (a platform
line such as 'joined'). Independent of ``kind``, which says what the content is for."""


MIXED = "mixed"
"""Value of ``channel``, ``city`` or ``segment`` for a group recruited across several."""

OPERATOR_ROLES = ("owner", "monitor", "assistant")

CONVERSION_KINDS = ("purchase", "coupon_redeemed", "course_signup", "other")
"""What a conversion is: a paid order, a redeemed coupon, a sign-up (to a course or trial), anything else."""

ACTIVITY_KINDS = ("quiz", "check_in", "live_session", "lottery", "course", "other")
"""What a group activity is (the practitioners' 'activities': events members take part in)."""


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    dtype: str  # "string" | "timestamp" | "integer" | "number" | "boolean"
    description: str
    example: object
    nullable: bool = False
    vocabulary: tuple[str, ...] | None = None
    min_value: float | None = None
    optional: bool = False  # may be absent from a file; then read as all empty


@dataclass(frozen=True)
class RowRule:
    """A rule between columns of one row; ``holds`` is a SQL condition, true where a row obeys it.

    A condition that comes out NULL (a value it compares is empty) counts as broken, so
    each rule says what an empty value means with ``IS NULL`` terms of its own.
    """

    name: str
    columns: tuple[str, ...]
    holds: str
    level: str = "error"


@dataclass(frozen=True)
class Table:
    """One contract table: its columns, its key and the rules between its columns."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    required: bool = True
    row_rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        """Names of the contract columns, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """The column called ``name``."""
        return next(c for c in self.columns if c.name == name)


DUCKDB_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMPTZ",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}

IBIS_TYPES = {
    "string": "string",
    "timestamp": "timestamp('UTC')",
    "integer": "int64",
    "number": "float64",
    "boolean": "boolean",
}
"""The same types for Ibis, where another backend (Spark) reads the Parquet files itself."""


GROUPS = Table(
    name="groups",
    description="One row per chat group.",
    key=("group_id",),
    columns=(
        Column("group_id", "string", "Stable id of the group (pseudonymous).", "g_0001"),
        Column("created_at", "timestamp", "When the group was created (UTC).", "2025-01-06T09:00:00Z"),
        Column("channel", "string", "Acquisition channel its members came from.", "parcel_card", vocabulary=CHANNELS),
        Column("city", "string", "City of its members, or 'mixed'.", "Hangzhou"),
        Column("segment", "string", "Audience segment, e.g. baby-age band; or 'mixed'.", "baby_3_6m"),
        Column(
            "target_size",
            "integer",
            "Members the operator meant to recruit; empty if unknown.",
            200,
            nullable=True,
            min_value=1,
        ),
        Column(
            "platform",
            "string",
            "Chat platform (wechat, telegram, whatsapp, ...); empty if unknown.",
            "wechat",
            nullable=True,
        ),
        Column(
            "observed_until",
            "timestamp",
            "Set when the data stops seeing this group before the rest of the data ends (its own export ended, "
            "the channel was archived): its members count until then, and stays still open then are censored "
            "there. Empty: seen to the data's end.",
            "2025-06-30T23:59:00Z",
            nullable=True,
            optional=True,
        ),
    ),
    row_rules=(
        RowRule(
            "observed_until >= created_at",
            ("created_at", "observed_until"),
            "observed_until IS NULL OR created_at IS NULL OR observed_until >= created_at",
        ),
    ),
)


MEMBERSHIPS = Table(
    name="memberships",
    description="One row per stay of a member in a group; a member who rejoins has several rows.",
    key=("group_id", "member_id", "joined_at"),
    columns=(
        Column("group_id", "string", "Group the member is in (must exist in groups).", "g_0001"),
        Column("member_id", "string", "Pseudonymous member id (a keyed hash for real data).", "m_9f3a2c"),
        Column("joined_at", "timestamp", "When this stay began (UTC).", "2025-01-07T12:31:00Z"),
        Column(
            "left_at",
            "timestamp",
            "When it ended (UTC); empty while still a member.",
            "2025-03-01T08:12:00Z",
            nullable=True,
        ),
        Column("role", "string", "owner, monitor, assistant or member.", "member", vocabulary=ROLES),
        Column(
            "leave_reason",
            "string",
            "quit or removed; empty while still a member or unknown.",
            "quit",
            nullable=True,
            vocabulary=LEAVE_REASONS,
        ),
        Column(
            "observed_from",
            "timestamp",
            "Set when the data began after this stay did (an export or log that starts mid-stay): the stay is "
            "seen only from here on (left-truncated). Equal to joined_at when the real join is unknown. Empty: "
            "seen from its join.",
            "2025-03-01T00:00:00Z",
            nullable=True,
            optional=True,
        ),
    ),
    row_rules=(
        RowRule(
            "observed_from >= joined_at",
            ("joined_at", "observed_from"),
            "observed_from IS NULL OR joined_at IS NULL OR observed_from >= joined_at",
        ),
        RowRule(
            "observed_from <= left_at",
            ("observed_from", "left_at"),
            "observed_from IS NULL OR left_at IS NULL OR observed_from <= left_at",
        ),
        RowRule(
            "left_at >= joined_at",
            ("joined_at", "left_at"),
            "left_at IS NULL OR joined_at IS NULL OR left_at >= joined_at",
        ),
        RowRule(
            "leave_reason only when left_at is set",
            ("left_at", "leave_reason"),
            "leave_reason IS NULL OR left_at IS NOT NULL",
        ),
    ),
)


MESSAGES = Table(
    name="messages",
    description="One row per message (text itself is never stored).",
    key=("message_id",),
    columns=(
        Column("message_id", "string", "Unique id of the message.", "msg_000001"),
        Column("group_id", "string", "Group it was sent in (must exist in groups).", "g_0001"),
        Column(
            "member_id", "string", "Sender's pseudonymous id; empty only for kind 'system'.", "m_9f3a2c", nullable=True
        ),
        Column("sent_at", "timestamp", "When it was sent (UTC).", "2025-01-07T12:35:10Z"),
        Column(
            "kind", "string", "chat, dry, wet, promo, activity, welcome or system.", "chat", vocabulary=MESSAGE_KINDS
        ),
        Column(
            "text_length",
            "integer",
            "Characters of text (0 for media); empty if unknown.",
            42,
            nullable=True,
            min_value=0,
        ),
        Column(
            "form",
            "string",
            "Optional column: text, media, link or service (from chat exports); empty if unknown.",
            "text",
            nullable=True,
            vocabulary=MESSAGE_FORMS,
            optional=True,
        ),
    ),
    row_rules=(
        RowRule(
            "member_id is set unless kind is 'system'",
            ("member_id", "kind"),
            "member_id IS NOT NULL OR kind = 'system'",
        ),
    ),
)


ASSIGNMENTS = Table(
    name="assignments",
    description="Optional. The arm each group was randomised to in an experiment.",
    key=("experiment", "group_id"),
    required=False,
    columns=(
        Column("experiment", "string", "Name of the experiment.", "content_ratio_2025q1"),
        Column("group_id", "string", "Randomised group (must exist in groups).", "g_0001"),
        Column("arm", "string", "Arm the group was assigned to.", "promo_low"),
        Column("assigned_at", "timestamp", "When the assignment took effect (UTC).", "2025-02-03T00:00:00Z"),
        Column(
            "stratum", "string", "Randomisation stratum; empty if not stratified.", "parcel_card|100-200", nullable=True
        ),
    ),
)


CONVERSIONS = Table(
    name="conversions",
    description=(
        "Optional. One row per conversion (a paid order, a redeemed coupon, a sign-up) by a member, attributed to "
        "the group it is credited to."
    ),
    key=("conversion_id",),
    required=False,
    columns=(
        Column("conversion_id", "string", "Unique id of the conversion (e.g. the order id, hashed).", "cv_000001"),
        Column("group_id", "string", "Group it is attributed to (must exist in groups).", "g_0001"),
        Column("member_id", "string", "Pseudonymous id of the member who converted.", "m_9f3a2c"),
        Column("converted_at", "timestamp", "When it happened (UTC).", "2025-02-10T20:15:00Z"),
        Column(
            "kind",
            "string",
            "purchase, coupon_redeemed, course_signup or other.",
            "purchase",
            vocabulary=CONVERSION_KINDS,
        ),
        Column(
            "value",
            "number",
            "Its value in units of currency (0 for a free sign-up); empty if unknown.",
            129.0,
            nullable=True,
            min_value=0,
        ),
        Column("currency", "string", "ISO 4217 code of value, e.g. CNY; empty if unknown.", "CNY", nullable=True),
    ),
)


ACTIVITIES = Table(
    name="activities",
    description="Optional. One row per group activity (a quiz, a check-in, a live session, ...).",
    key=("activity_id",),
    required=False,
    columns=(
        Column("activity_id", "string", "Unique id of the activity.", "act_0001"),
        Column("group_id", "string", "Group it ran in (must exist in groups).", "g_0001"),
        Column("started_at", "timestamp", "When it started (UTC).", "2025-02-12T12:00:00Z"),
        Column(
            "ended_at", "timestamp", "When it ended (UTC); empty if unknown.", "2025-02-12T13:00:00Z", nullable=True
        ),
        Column(
            "kind",
            "string",
            "quiz, check_in, live_session, lottery, course or other.",
            "quiz",
            vocabulary=ACTIVITY_KINDS,
        ),
    ),
    row_rules=(
        RowRule(
            "ended_at >= started_at",
            ("started_at", "ended_at"),
            "ended_at IS NULL OR started_at IS NULL OR ended_at >= started_at",
        ),
    ),
)


ACTIVITY_PARTICIPANTS = Table(
    name="activity_participants",
    description="Optional (needs activities). One row per member who took part in an activity.",
    key=("activity_id", "member_id"),
    required=False,
    columns=(
        Column("activity_id", "string", "The activity (must exist in activities).", "act_0001"),
        Column("member_id", "string", "Pseudonymous id of the member who took part.", "m_9f3a2c"),
    ),
)


TABLES: dict[str, Table] = {
    t.name: t for t in (GROUPS, MEMBERSHIPS, MESSAGES, ASSIGNMENTS, CONVERSIONS, ACTIVITIES, ACTIVITY_PARTICIPANTS)
}


def markdown_table_docs() -> str:
    """The contract as Markdown: one section per table with columns and an example row."""
    parts = []
    for table in TABLES.values():
        optional = "" if table.required else " (optional)"
        parts.append(
            f"### `{table.name}`{optional}\n\n{table.description} Key: {', '.join(f'`{k}`' for k in table.key)}.\n"
        )
        parts.append("| column | type | empty allowed | meaning | example |\n|---|---|---|---|---|")
        for col in table.columns:
            vocab = f" Values: {', '.join(col.vocabulary)}." if col.vocabulary else ""
            parts.append(
                f"| `{col.name}` | {col.dtype} | {'yes' if col.nullable else 'no'} | "
                f"{col.description}{vocab} | `{col.example}` |"
            )
        header = ",".join(table.column_names)
        example = ",".join(str(c.example) for c in table.columns)
        parts.append(f"\nExample row (CSV):\n\n```\n{header}\n{example}\n```\n")
    return "\n".join(parts)
