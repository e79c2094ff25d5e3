"""The `/lto` command language: text in, a typed subcommand out (or a usage error)."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from datetime import date
from typing import Literal

BillingChoice = Literal["annual", "quarterly", "monthly", "upfront"]

MAX_COMMAND_TEXT = 3000

USAGE = """*How to use `/lto`*
• `/lto new <company> [what you know so far]` — open a deal thread and start discovery
• `/lto status [deal]` — the deal card for a deal (by `#number` or company), or your latest deals
• `/lto ask <question>` — answer from the knowledge base, with sources
• `/lto quote <deal> <SKU> <qty> [<SKU> <qty> ...] [--discount N%] [--years N]` — price a deal
  (terms: `--net DAYS`, `--billing annual|quarterly|monthly|upfront`, `--start YYYY-MM-DD`, `--custom-sla`,
  `--legal-changes`; quote against a product rule: `--override-rules`; tell the approvers why: `--why "..."`)
• `/lto proposal <deal>` — draft the proposal for a qualified deal
• `/lto approvals` — approval requests waiting for you, and yours
• `/lto review <deal>` — send the deal's technical scope to sales engineering for review
• `/lto poc <deal>` — the deal's POC plan: drafted from discovery, sent for SE review, its outcome recorded
• `/lto share <deal> @person` — let another rep see and work on your deal
• `/lto schedule <deal> demo|poc [next week|this week|tomorrow|YYYY-MM-DD]` — three times that suit the rep, the \
sales engineer and the customer, offered to you to book one
• `/lto report [--since YYYY-MM-DD]` — the team's outcome metrics and their chart, sent to you (managers)
• `/lto admin reload` · `/lto admin replay <id>` — reload governed files, resend parked CRM events (admins)
• `/lto help` — this message"""


class UsageError(ValueError):
    """The command text does not parse; the message says what was expected."""


# The bounds every entry point shares: a quote line's quantity (as core.job_kinds.QuoteLineAsk and the
# in-thread asks of agents.discovery), and ids we issue (any database integer column holds them).
MAX_QUANTITY = 1_000_000
MAX_ID = 2**31 - 1
MAX_YEARS = 10
MAX_NET_DAYS = 365


def whole_number(text: str, *, low: int = 0, high: int) -> int | None:
    """`text` as a whole number in [low, high], or None. ASCII digits only: no sign, space, `²` or `٣`.

    The one number parser of the Slack edge: quantities, years, net days, discounts, event ids,
    deal numbers, and the signature's timestamp. Its length is checked before `int()` ever runs.
    """
    if not text.isascii() or not text.isdigit():
        return None
    significant = text.lstrip("0") or "0"
    if len(significant) > len(str(high)):
        return None
    value = int(significant)
    return value if low <= value <= high else None


def deal_reference(text: str) -> str:
    """A deal by `#12` / `12` (a deal number we could have issued) or by company name."""
    text = text.strip()
    number = text.removeprefix("#")
    if text.startswith("#") or (number.isascii() and number.isdigit()):
        deal_id = whole_number(number, low=1, high=MAX_ID)
        if deal_id is None:
            raise UsageError(f"There is no deal {text}: use the number on the deal card, e.g. `#12`.")
        return f"#{deal_id}"
    return text


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class NewDeal:
    company: str
    notes: str


@dataclass(frozen=True)
class Status:
    deal: str | None


@dataclass(frozen=True)
class Ask:
    question: str


@dataclass(frozen=True)
class QuoteLine:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Quote:
    deal: str
    lines: tuple[QuoteLine, ...]
    discount_pct: str | None
    years: int
    payment_terms_days: int | None = None  # None: the deal's asked-for terms, else the standard ones
    billing_frequency: BillingChoice | None = None  # None: the catalog's standard billing
    term_start: date | None = None  # None: the term starts on signature
    custom_sla: bool = False
    legal_changes: bool = False
    override_rules: bool = False  # quote it although it breaks a `requires` product rule: the deal desk decides
    justification: str | None = None  # why the rep asks for it, shown to the approvers


@dataclass(frozen=True)
class Proposal:
    deal: str


@dataclass(frozen=True)
class Approvals:
    pass


@dataclass(frozen=True)
class Review:
    deal: str


@dataclass(frozen=True)
class Poc:
    deal: str


@dataclass(frozen=True)
class Share:
    deal: str
    user_id: str


@dataclass(frozen=True)
class Schedule:
    deal: str
    kind: Literal["demo", "poc"]
    when: str | None  # next week, this week, tomorrow, YYYY-MM-DD; None: the next days


@dataclass(frozen=True)
class Report:
    since: date | None = None  # deals that started on or after this day; None: every deal


@dataclass(frozen=True)
class Admin:
    action: str  # reload | replay
    event_ids: tuple[int, ...] = ()


Command = (
    Help | NewDeal | Status | Ask | Quote | Proposal | Approvals | Share | Admin | Report | Review | Schedule | Poc
)

MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def _split_company(rest: str) -> tuple[str, str]:
    """`"Acme Corp" 250 seats` / `Acme Corp: 250 seats` / `Acme Corp, 250 seats` / `Acme 250 seats`."""
    rest = rest.strip()
    if rest[:1] in "\"'“":
        closing = {'"': '"', "'": "'", "“": "”"}[rest[0]]
        end = rest.find(closing, 1)
        if end > 1:
            return rest[1:end].strip(), rest[end + 1 :].strip(" :,-—")
    for separator in (":", " - ", " — ", ",", ";", "."):
        head, found, tail = rest.partition(separator)
        if found and 0 < len(head.split()) <= 6:
            return head.strip(), tail.strip()
    # Without punctuation, the company is the run of capitalised words at the start.
    words = rest.split()
    company: list[str] = []
    for word in words:
        if company and not (word[:1].isupper() or word in {"&", "of", "and"}):
            break
        company.append(word)
        if len(company) == 6:
            break
    return " ".join(company), " ".join(words[len(company) :])


QUOTE_USAGE = (
    "/lto quote <deal> <SKU> <qty> [<SKU> <qty> ...] [--discount N%] [--years N] [--net DAYS] "
    "[--billing annual|quarterly|monthly|upfront] [--start YYYY-MM-DD] [--custom-sla] [--legal-changes] "
    '[--override-rules] [--why "reason"]'
)
BILLING_FREQUENCIES: dict[str, BillingChoice] = {
    "annual": "annual",
    "quarterly": "quarterly",
    "monthly": "monthly",
    "upfront": "upfront",
}
FLAGS = ("--custom-sla", "--legal-changes", "--override-rules")
OPTIONS = ("--discount", "--years", "--net", "--why", "--billing", "--start")


def _term_start(value: str) -> date:
    """`2027-01-01`: an ISO date, nothing looser (a quote's dates are contract dates)."""
    try:
        if len(value) == 10 and value.isascii():
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise UsageError("`--start` takes the date the term starts, as YYYY-MM-DD, such as `2027-01-01`.")


def _percentage(value: str) -> str:
    """`15`, `15%` or `12.5%`: a discount from 0 to 100 with at most two decimals, as a Decimal string."""
    whole, _, fraction = value.removesuffix("%").partition(".")
    points = whole_number(whole, high=100)
    hundredths = whole_number(fraction, high=99) if fraction else 0
    if points is None or hundredths is None or len(fraction) > 2 or (points == 100 and hundredths):
        raise UsageError("`--discount` takes a percentage from 0 to 100 such as `15%`.")
    return f"{points}.{fraction}" if fraction else str(points)


def _parse_quote(rest: str) -> Quote:
    try:
        tokens = shlex.split(rest)
    except ValueError as exc:
        raise UsageError(f"I could not read that quote: {exc}.") from None
    discount: str | None = None
    why: str | None = None
    net: int | None = None
    billing: BillingChoice | None = None
    start: date | None = None
    years, flags = 1, set()
    positional: list[str] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token in FLAGS:
            flags.add(token)
            index += 1
            continue
        if token in OPTIONS and index + 1 < len(tokens):
            value = tokens[index + 1]
            index += 2
        elif token.startswith(tuple(f"{option}=" for option in OPTIONS)):
            token, _, value = token.partition("=")
            index += 1
        elif token.startswith("--"):
            raise UsageError(f"I don't know the option `{token[:40]}`. Usage: `{QUOTE_USAGE}`")
        else:
            positional.append(token)
            index += 1
            continue
        if token == "--why":
            why = value.strip()[:500] or None
        elif token == "--billing":
            billing = BILLING_FREQUENCIES.get(value.lower())
            if billing is None:
                raise UsageError("`--billing` takes annual, quarterly, monthly or upfront.")
        elif token == "--start":
            start = _term_start(value)
        elif token == "--discount":
            discount = _percentage(value)
        elif token == "--net":
            days = whole_number(value, high=MAX_NET_DAYS)
            if days is None:
                raise UsageError(f"`--net` takes payment terms in days, 0 to {MAX_NET_DAYS}, such as `60`.")
            net = days
        else:
            term = whole_number(value, low=1, high=MAX_YEARS)
            if term is None:
                raise UsageError(f"`--years` takes a whole number of years, 1 to {MAX_YEARS}, such as `3`.")
            years = term
    if len(positional) < 3 or len(positional[1:]) % 2:
        raise UsageError(f"Usage: `{QUOTE_USAGE}`")
    lines = []
    for sku, quantity in zip(positional[1::2], positional[2::2], strict=True):
        count = whole_number(quantity, low=1, high=MAX_QUANTITY)
        if count is None:
            raise UsageError(
                f"The quantity for {sku.upper()} must be a whole number from 1 to {MAX_QUANTITY:,}, not “{quantity}”."
            )
        lines.append(QuoteLine(sku=sku.upper(), quantity=count))
    return Quote(
        deal=deal_reference(positional[0]),
        lines=tuple(lines),
        discount_pct=discount,
        years=years,
        payment_terms_days=net,
        billing_frequency=billing,
        term_start=start,
        custom_sla="--custom-sla" in flags,
        legal_changes="--legal-changes" in flags,
        override_rules="--override-rules" in flags,
        justification=why,
    )


REPORT_USAGE = "Usage: `/lto report [--since YYYY-MM-DD]`, e.g. `/lto report --since 2026-10-01`"


def _parse_report(rest: str) -> Report:
    """`report`, `report outcomes`, either with `--since 2026-10-01` (or `--since=2026-10-01`)."""
    words = rest.replace("--since=", "--since ").split()
    if words[:1] == ["outcomes"]:
        words = words[1:]
    if not words:
        return Report()
    if len(words) == 2 and words[0] == "--since":
        try:
            if len(words[1]) == 10 and words[1].isascii():
                return Report(since=date.fromisoformat(words[1]))
        except ValueError:
            pass
        raise UsageError("`--since` takes the first day to report on, as YYYY-MM-DD, such as `2026-10-01`.")
    raise UsageError(REPORT_USAGE)


SCHEDULE_USAGE = (
    "Usage: `/lto schedule <deal> demo|poc [next week|this week|tomorrow|YYYY-MM-DD]`, "
    "e.g. `/lto schedule #12 demo next week`"
)
WHEN_WORDS = {"next week": "next week", "this week": "this week", "tomorrow": "tomorrow"}


def _parse_schedule(rest: str) -> Schedule:
    """`#12 demo next week`, `Acme Corp poc tomorrow`, `#12 demo 2026-12-09`: the deal, what, and when."""
    words = rest.split()
    kinds = [i for i, word in enumerate(words) if word.lower() in ("demo", "poc")]
    if not kinds or kinds[0] == 0:
        raise UsageError(SCHEDULE_USAGE)
    at = kinds[0]
    kind: Literal["demo", "poc"] = "poc" if words[at].lower() == "poc" else "demo"
    said = " ".join(words[at + 1 :]).lower()
    when: str | None = None
    if said:
        when = WHEN_WORDS.get(said)
        if when is None:
            try:
                when = date.fromisoformat(said).isoformat() if len(said) == 10 and said.isascii() else None
            except ValueError:
                when = None
        if when is None:
            raise UsageError(f"I can't read “{said[:40]}” as when. {SCHEDULE_USAGE}")
    return Schedule(deal=deal_reference(" ".join(words[:at])), kind=kind, when=when)


def parse(text: str) -> Command:
    """Parse the text after `/lto`. Raises UsageError with what to type instead."""
    text = (text or "").strip()
    if len(text) > MAX_COMMAND_TEXT:
        raise UsageError(f"That is {len(text):,} characters; `/lto` takes at most {MAX_COMMAND_TEXT:,}.")
    if not text:
        raise UsageError("Tell me what to do.")
    verb, _, rest = text.partition(" ")
    verb, rest = verb.lower(), rest.strip()
    if verb in ("help", "?"):
        return Help()
    if verb == "new":
        company, notes = _split_company(rest) if rest else ("", "")
        if not company:
            raise UsageError("Usage: `/lto new <company> [what you know so far]`, e.g. `/lto new Acme Corp: 250 seats`")
        if len(company) > 120:
            raise UsageError("That company name is too long (at most 120 characters).")
        return NewDeal(company=company, notes=notes)
    if verb == "status":
        return Status(deal=deal_reference(rest) if rest else None)
    if verb == "ask":
        if not rest:
            raise UsageError("Usage: `/lto ask <question>`, e.g. `/lto ask do we sign a BAA on Business?`")
        return Ask(question=rest)
    if verb == "quote":
        return _parse_quote(rest)
    if verb == "proposal":
        if not rest:
            raise UsageError("Usage: `/lto proposal <deal>`")
        return Proposal(deal=deal_reference(rest))
    if verb == "approvals":
        return Approvals()
    if verb == "review":
        if not rest:
            raise UsageError("Usage: `/lto review <deal>`, e.g. `/lto review #12`")
        return Review(deal=deal_reference(rest))
    if verb == "poc":
        if not rest:
            raise UsageError("Usage: `/lto poc <deal>`, e.g. `/lto poc #12`")
        return Poc(deal=deal_reference(rest))
    if verb == "share":
        deal, _, who = rest.partition(" ")
        mention = MENTION.fullmatch(who.strip())
        if not deal or mention is None:
            raise UsageError("Usage: `/lto share <deal> @person`, e.g. `/lto share #12 @sam`")
        return Share(deal=deal_reference(deal), user_id=mention[1])
    if verb == "report":
        return _parse_report(rest)
    if verb == "schedule":
        return _parse_schedule(rest)
    if verb == "admin":
        action, _, ids = rest.partition(" ")
        if action == "reload" and not ids.strip():
            return Admin(action="reload")
        event_ids = [whole_number(i, low=1, high=MAX_ID) for i in ids.split()]
        if action == "replay" and event_ids and None not in event_ids:
            return Admin(action="replay", event_ids=tuple(i for i in event_ids if i is not None))
        raise UsageError("Usage: `/lto admin reload` or `/lto admin replay <outbox event id> [...]` (admins only)")
    raise UsageError(f"I don't know `/lto {verb}`.")
