"""A quote in the deal thread: the summary, the lines as a table, its terms, the product rules CPQ applied, and
what still needs approval."""

from __future__ import annotations

from slack_sdk.models.blocks import Block, ContextBlock, MarkdownTextObject, SectionBlock, TableBlock
from slack_sdk.models.blocks.basic_components import RawTextObject

from bot.views.text import clip, escape
from deals.qualification import format_money
from integrations.cpq.engine import Quote
from integrations.cpq.models import QuoteTerms
from integrations.cpq.rules import RuleStatus

RULE_LABELS = {"discount:requested": "requested discount"}


def _rules(line_rules: list) -> str:  # type: ignore[type-arg]
    parts = [f"{RULE_LABELS.get(r.id, r.id)} −{r.pct.normalize():f}%" for r in line_rules]
    return ", ".join(parts) or "list price"


def quote_text(company: str, version: int, quote: Quote) -> str:
    return (
        f"Quote v{version} for {escape(company)}: {format_money(quote.total, quote.currency)} over {quote.term_years} "
        f"year(s) (list {format_money(quote.list_total, quote.currency)})"
    )


RULE_MARKS = {RuleStatus.APPLIED: ":jigsaw:", RuleStatus.SUGGESTED: ":bulb:", RuleStatus.OVERRIDDEN: ":warning:"}


def rule_lines(quote: Quote) -> str:
    """The product rules that bore on the quote, one line each (an add-on's edition on the quote goes unsaid)."""
    return "\n".join(
        f"{RULE_MARKS[outcome.status]} {escape(str(outcome))}" for outcome in quote.rule_outcomes if not outcome.routine
    )


def quote_blocks(
    company: str, version: int, quote: Quote, approval_reasons: list[str], *, terms: QuoteTerms | None = None
) -> list[Block]:
    money = lambda amount: format_money(amount, quote.currency)  # noqa: E731
    years = f"{quote.term_years}-year term" if quote.term_years > 1 else "1-year term"
    header = (
        f"*Quote v{version} · {escape(company)}* — {years}, {quote.currency}\n"
        f"*Total {money(quote.total)}* · list {money(quote.list_total)} · "
        f"discount {money(quote.discount_amount)} ({quote.effective_discount_pct.normalize():f}%) · "
        f"ACV {money(quote.annual_contract_value)}"
    )
    rows = [
        [RawTextObject(text=t) for t in ("SKU", "Qty", "List / unit", "Rules", "Per year", "Term total")],
    ]
    for line in quote.lines:
        per_year = money(line.annual_amount) if line.billing == "annual" else f"{money(line.annual_amount)} once"
        rows.append(
            [
                RawTextObject(text=f"{line.sku} {line.name}"),
                RawTextObject(text=str(line.quantity)),
                RawTextObject(text=money(line.list_unit_price)),
                RawTextObject(text=_rules(line.rules)),
                RawTextObject(text=per_year),
                RawTextObject(text=money(line.term_total)),
            ]
        )
    if terms is not None:
        header += f"\n*Terms:* {escape(str(terms))}"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(header, 3000))), TableBlock(rows=rows)]
    rules = rule_lines(quote)
    if rules:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(f"*Product rules*\n{rules}", 3000))))
    if approval_reasons:
        reasons = "\n".join(f"• {escape(r)}" for r in approval_reasons)
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=clip(f":lock: *Not final: needs approval*\n{reasons}", 3000)))
        )
    blocks.append(
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text=f"Priced by CPQ from catalog {quote.catalog_version}; every number comes from a rule."
                )
            ]
        )
    )
    return blocks
