"""The deal card's contract section (the readiness checklist and its buttons), the order form and security
review modals, and what the deal's thread is told when a contract is sent, signed, declined or voided."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    CheckboxesElement,
    ContextBlock,
    DividerBlock,
    EmailInputElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
)
from slack_sdk.models.views import View

from bot.ids import ActionId, BlockId, CallbackId, DealRef, InputId, OrderFormInput
from bot.views.text import clip, escape
from deals.contract import ContractReadiness, EnvelopeInfo, ItemState
from deals.contract_models import OrderFormEntry
from deals.qualification import format_money
from integrations.esign.models import EnvelopeStatus
from integrations.esign.service import SentForSignature, SettledEnvelope

STATE_ICONS = {
    ItemState.DONE: ":white_check_mark:",
    ItemState.MISSING: ":white_large_square:",
    ItemState.NOT_NEEDED: ":heavy_minus_sign:",
}
PROVIDER_NAMES = {"local": "the signing page", "docusign": "DocuSign"}
PO_REQUIRED = "required"  # the checkbox's value


def when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment else "—"


def _envelope_line(envelope: EnvelopeInfo) -> str | None:
    signer = f"*{escape(envelope.signer_name)}* &lt;{escape(envelope.signer_email)}&gt;"
    through = PROVIDER_NAMES.get(envelope.provider, envelope.provider)
    if envelope.status == EnvelopeStatus.SENT:
        return (
            f":envelope_with_arrow: Out for signature with {signer} since {when(envelope.sent_at)}, through {through}."
        )
    if envelope.status == EnvelopeStatus.SENDING:
        return f":hourglass_flowing_sand: Being sent to {signer} through {through}."
    if envelope.status in (EnvelopeStatus.DECLINED, EnvelopeStatus.VOIDED, EnvelopeStatus.FAILED):
        why = f": {escape(envelope.note)}" if envelope.note else ""
        return f":warning: The last envelope to {signer} was {envelope.status}{why}. Fix it, then send again."
    return None


def contract_blocks(readiness: ContractReadiness) -> list[Block]:
    """The checklist, one line per item, what is out for signature or signed, and the buttons that apply."""
    if readiness.order is not None:
        order = readiness.order
        text = (
            f":trophy: *Contract signed* by {escape(order.signed_by_name)} on {when(order.signed_at)}: "
            f"order {order.number}, {format_money(order.total, order.currency)}."
        )
        return [DividerBlock(), SectionBlock(text=MarkdownTextObject(text=clip(text, 3000)))]
    lines = []
    for item in readiness.items:
        by = f" (<@{item.by}>)" if item.by else ""
        lines.append(f"{STATE_ICONS[item.state]} *{item.item.label}* · {escape(item.detail)}{by}")
    if readiness.out_for_signature:
        ready = "out for signature"
    else:
        ready = "ready for signature" if readiness.can_send else f"{len(readiness.missing)} to do"
    blocks: list[Block] = [
        DividerBlock(),
        SectionBlock(text=MarkdownTextObject(text=clip(f"*Contract* ({ready})\n" + "\n".join(lines), 3000))),
    ]
    if readiness.envelope is not None and (line := _envelope_line(readiness.envelope)):
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(line, 3000))]))
    if readiness.out_for_signature:
        return blocks
    ref = DealRef(deal_id=readiness.deal_id).model_dump_json()
    buttons = [ButtonElement(text="Order form", action_id=ActionId.ORDER_FORM, value=ref)]
    if readiness.needs_security_review:
        buttons.append(ButtonElement(text="Record security review", action_id=ActionId.SECURITY_REVIEW, value=ref))
    if readiness.can_send:
        buttons.append(
            ButtonElement(text="Send for signature", action_id=ActionId.SEND_FOR_SIGNATURE, value=ref, style="primary")
        )
    blocks.append(ActionsBlock(block_id=BlockId.CONTRACT_ACTIONS, elements=buttons))
    return blocks


# Modals ----------------------------------------------------------------------------------------------


def _text_input(
    field: OrderFormInput, label: str, value: str | None, *, max_length: int = 200, multiline: bool = False
) -> InputBlock:
    element = PlainTextInputElement(
        action_id=field, initial_value=value or None, max_length=max_length, multiline=multiline
    )
    return InputBlock(block_id=field, label=label, element=element, optional=True)


def _email_input(field: OrderFormInput, label: str, value: str | None) -> InputBlock:
    element = EmailInputElement(action_id=field, initial_value=value or None)
    return InputBlock(block_id=field, label=label, element=element, optional=True)


def order_form_modal(deal_id: int, company: str, entry: OrderFormEntry) -> View:
    """The order form's fields and the signer, filled with what was recorded; every field may wait."""
    option = Option(text="The customer requires its purchase order number on our invoices", value=PO_REQUIRED)
    po_required = InputBlock(
        block_id=OrderFormInput.PO_REQUIRED,
        label="Purchase order",
        element=CheckboxesElement(
            action_id=OrderFormInput.PO_REQUIRED,
            options=[option],
            initial_options=[option] if entry.po_required else None,
        ),
        optional=True,
    )
    return View(
        type="modal",
        callback_id=CallbackId.ORDER_FORM,
        private_metadata=DealRef(deal_id=deal_id).model_dump_json(),
        title="Order form",
        submit="Save",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=clip(
                        f"What *{escape(company)}* (deal #{deal_id}) puts on the order form, and who signs.", 3000
                    )
                )
            ),
            _text_input(OrderFormInput.LEGAL_ENTITY, "Customer legal entity", entry.legal_entity),
            _text_input(
                OrderFormInput.BILLING_ADDRESS, "Billing address", entry.billing_address, multiline=True, max_length=500
            ),
            _text_input(OrderFormInput.BILLING_CONTACT_NAME, "Billing contact", entry.billing_contact_name),
            _email_input(OrderFormInput.BILLING_CONTACT_EMAIL, "Billing contact's email", entry.billing_contact_email),
            po_required,
            _text_input(OrderFormInput.PO_NUMBER, "Purchase order number", entry.po_number, max_length=60),
            _text_input(OrderFormInput.SIGNER_NAME, "Signer's full name", entry.signer_name),
            _email_input(OrderFormInput.SIGNER_EMAIL, "Signer's email", entry.signer_email),
            _text_input(OrderFormInput.SIGNER_TITLE, "Signer's title", entry.signer_title),
        ],
    )


def security_review_modal(deal_id: int, company: str, gaps: list[str]) -> View:
    flagged = "\n".join(f"• {escape(gap)}" for gap in gaps) or "No compliance gap is flagged now."
    return View(
        type="modal",
        callback_id=CallbackId.SECURITY_REVIEW,
        private_metadata=DealRef(deal_id=deal_id).model_dump_json(),
        title="Security review",
        submit="Record review",
        close="Cancel",
        blocks=[
            SectionBlock(
                text=MarkdownTextObject(
                    text=clip(f"*{escape(company)}* (deal #{deal_id}): what inspection flags\n{flagged}", 3000)
                )
            ),
            InputBlock(
                block_id=BlockId.SECURITY_NOTE,
                label="Your position",
                element=PlainTextInputElement(
                    action_id=InputId.NOTE,
                    multiline=True,
                    min_length=5,
                    max_length=1000,
                    placeholder="e.g. FedRAMP not required: data stays in our US region under the BAA",
                ),
            ),
        ],
    )


# What the thread and the owner are told -----------------------------------------------------------


def sent_text(sent: SentForSignature, user_id: str) -> str:
    through = PROVIDER_NAMES.get(sent.provider, sent.provider)
    signer = f"*{escape(sent.signer_name)}* &lt;{escape(sent.signer_email)}&gt;"
    return f":envelope_with_arrow: <@{user_id}> sent the order form for signature to {signer} through {through}."


def link_text(sent: SentForSignature, days: int) -> str:
    """Only to the rep who sent it: the local signing page's link opens the contract to whoever holds it."""
    return (
        f":link: Send this signing link to {escape(sent.signer_name)} &lt;{escape(sent.signer_email)}&gt; "
        f"(valid {days} days): <{sent.signing_url}|sign the order form>"
    )


def settled_text(settled: SettledEnvelope) -> str:
    company = escape(settled.place.company)
    if settled.outcome == "completed":
        return (
            f":tada: *{company}* signed: order {settled.order_number}, {settled.total}, signed by "
            f"{escape(settled.signed_by or settled.signer_name)} on {when(settled.signed_at)}. "
            f"Deal #{settled.place.deal_id} is closed won."
        )
    why = f": {escape(settled.reason)}" if settled.reason else ""
    if settled.outcome == "declined":
        return (
            f":warning: {escape(settled.signer_name)} declined the order form for *{company}*{why}. "
            "Fix what they asked, then send it again from the deal card."
        )
    return f":warning: The order form for *{company}* was voided{why}. Send it again from the deal card when ready."
