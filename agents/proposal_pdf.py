"""The proposal document drawn as a branded PDF with fpdf2: cover page, numbered sections, tables, order form,
signature block, running header and page numbers, in the theme's Unicode fonts (embedded, subset)."""

from __future__ import annotations

from typing import Any

from fpdf import FPDF
from fpdf.enums import TableBordersLayout, TableCellFillMode, XPos, YPos
from fpdf.fonts import FontFace

from agents.proposal_document import (
    Bullets,
    Facts,
    Form,
    Paragraph,
    ProposalDocument,
    Signatures,
    Subheading,
    Table,
    with_citations,
)
from agents.proposal_templates import Theme

MARGIN = 20  # mm
BODY = 9.5  # pt
LINE = 5.0  # mm per body line


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


class _ProposalPDF(FPDF):
    """An A4 page with the vendor's running header and a `Page n of N` footer after the cover."""

    def __init__(self, document: ProposalDocument, theme: Theme) -> None:
        super().__init__(format="A4", unit="mm")
        self.document, self.theme = document, theme
        self.family = theme.fonts.family
        self.add_font(self.family, "", str(theme.fonts.regular))
        self.add_font(self.family, "B", str(theme.fonts.bold))
        self.set_margins(MARGIN, 24, MARGIN)
        self.set_auto_page_break(True, margin=22)
        self.colours = {name: _rgb(value) for name, value in theme.colours.model_dump().items()}

    def colour(self, name: str) -> None:
        self.set_text_color(*self.colours[name])

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.image(str(self.theme.logo), x=MARGIN, y=9, h=7)
        self.set_font(self.family, "B", 9)
        self.colour("primary")
        self.set_xy(MARGIN + 9, 10)
        self.cell(60, 5, self.theme.company)
        self.set_font(self.family, "", 8.5)
        self.colour("muted")
        self.set_xy(self.w - MARGIN - 100, 10)
        self.cell(100, 5, f"{self.document.cover.title}: {self.document.cover.subtitle}", align="R")
        self.set_draw_color(*self.colours["accent"])
        self.set_line_width(0.4)
        self.line(MARGIN, 18, self.w - MARGIN, 18)
        self.set_y(24)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-14)
        self.set_draw_color(*self.colours["rule"])
        self.set_line_width(0.2)
        self.line(MARGIN, self.get_y() - 2, self.w - MARGIN, self.get_y() - 2)
        self.set_font(self.family, "", 7.5)
        self.colour("muted")
        self.cell(0, 5, self.document.cover.confidentiality, align="L")
        self.set_x(MARGIN)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def to_pdf(document: ProposalDocument, theme: Theme) -> bytes:
    """The document as a PDF: the same words and figures as its Markdown, laid out for a customer."""
    pdf = _ProposalPDF(document, theme)
    pdf.set_title(f"{document.cover.title}: {document.cover.subtitle}")
    pdf.set_author(theme.legal_name)
    pdf.set_creator(theme.company)
    pdf.set_subject(document.cover.confidentiality)
    _cover(pdf, document, theme)
    pdf.add_page()
    for number, section in enumerate(document.sections, start=1):
        height = 22 + sum(_height(block) for block in section.blocks)
        if pdf.get_y() + height > pdf.h - 22 and height < pdf.h - 50:
            pdf.add_page()  # a section that fits on one page is not split across two
        _section_heading(pdf, f"{number}. {section.title}")
        for block in section.blocks:
            _block(pdf, block)
    if document.sources:
        _sources(pdf, document)
    return bytes(pdf.output())


def _row_height(cells: list[str], widths: list[float]) -> float:
    """A table row's height: its longest cell's lines at about 1.7 mm per character."""
    usable = 170.0  # A4 less the margins, mm
    lines = [
        1 + int(len(text) * 1.7 // max(1.0, usable * w / sum(widths) - 4))
        for text, w in zip(cells, widths, strict=False)
    ]
    return 4.6 * max(lines, default=1) + 3.2


def _height(block: Any) -> float:
    """About how tall a block will be drawn (mm): enough to keep a short section on one page."""
    if isinstance(block, Paragraph):
        return LINE * (1 + len(block.text) // 95) + 2.5
    if isinstance(block, Subheading):
        return 8.0
    if isinstance(block, Bullets):
        return sum(LINE * (1 + len(item.text) // 90) + 1 for item in block.items) + 1.5
    if isinstance(block, Table):
        widths = [c.width for c in block.columns]
        rows = [[c.title for c in block.columns], *block.rows, *block.totals]
        return sum(_row_height(row, widths) for row in rows) + 4
    if isinstance(block, Facts):
        return sum(_row_height(list(row), [1, 2.6]) for row in block.rows) + 4
    if isinstance(block, Form):
        return 10 + 9.0 * len(block.fields)
    if isinstance(block, Signatures):
        return 20 + 13.0 * len(block.lines)
    return 0.0


def _sources(pdf: _ProposalPDF, document: ProposalDocument) -> None:
    """The citations, small, after the last section: they need no page of their own."""
    if pdf.get_y() > pdf.h - 40:
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(pdf.family, "B", 10)
    pdf.colour("primary")
    pdf.cell(0, 6, document.sources_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 7.5)
    pdf.colour("muted")
    for source in document.sources:
        text = f"[{source.number}] {source.title}" + (f" — {source.link}" if source.link else "")
        pdf.multi_cell(0, 4, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _cover(pdf: _ProposalPDF, document: ProposalDocument, theme: Theme) -> None:
    cover = document.cover
    pdf.add_page()
    pdf.set_fill_color(*pdf.colours["primary"])
    pdf.rect(0, 0, pdf.w, 118, style="F")
    pdf.set_fill_color(*pdf.colours["accent"])
    pdf.rect(0, 118, pdf.w, 3, style="F")
    pdf.image(str(theme.logo), x=MARGIN, y=20, h=16)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(pdf.family, "B", 15)
    pdf.set_xy(MARGIN + 20, 23)
    pdf.cell(120, 10, theme.company)
    pdf.set_font(pdf.family, "B", 34)
    pdf.set_xy(MARGIN, 60)
    pdf.cell(0, 14, cover.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 17)
    pdf.set_x(MARGIN)
    pdf.multi_cell(pdf.w - 2 * MARGIN, 9, cover.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_y(138)
    details = [("Prepared for", f"{cover.prepared_for}\n{cover.company}" if cover.prepared_for else cover.company)]
    details += [("Prepared by", theme.legal_name), ("Date", cover.date), ("Valid until", cover.valid_until)]
    for label, value in details:
        pdf.set_font(pdf.family, "", 8.5)
        pdf.colour("muted")
        pdf.set_x(MARGIN)
        pdf.cell(0, 5, label.upper(), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(pdf.family, "B", 12)
        pdf.colour("text")
        pdf.multi_cell(pdf.w - 2 * MARGIN, 6.5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(4)
    pdf.set_y(-40)
    pdf.set_draw_color(*pdf.colours["rule"])
    pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
    pdf.ln(3)
    pdf.set_font(pdf.family, "", 8)
    pdf.colour("muted")
    for text in (cover.confidentiality, f"{theme.legal_name} · {theme.address} · {theme.website}"):
        pdf.multi_cell(pdf.w - 2 * MARGIN, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _section_heading(pdf: _ProposalPDF, title: str) -> None:
    if pdf.get_y() > pdf.h - 70:  # a heading never sits alone at the foot of a page
        pdf.add_page()
    elif pdf.get_y() > 30:
        pdf.ln(5)
    pdf.set_font(pdf.family, "B", 15)
    pdf.colour("primary")
    pdf.multi_cell(0, 8, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_fill_color(*pdf.colours["accent"])
    pdf.rect(MARGIN, pdf.get_y() + 0.5, 18, 1, style="F")
    pdf.ln(4.5)


def _block(pdf: _ProposalPDF, block: Any) -> None:
    if isinstance(block, Paragraph):
        pdf.set_font(pdf.family, "", BODY)
        pdf.colour("text")
        pdf.multi_cell(
            0, LINE, with_citations(block.text, block.sources), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(2.5)
    elif isinstance(block, Subheading):
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(1)
        pdf.set_font(pdf.family, "B", 11)
        pdf.colour("primary")
        pdf.multi_cell(0, 6, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    elif isinstance(block, Bullets):
        _bullets(pdf, block)
    elif isinstance(block, Table):
        _table(pdf, block)
    elif isinstance(block, Facts):
        _facts(pdf, block)
    elif isinstance(block, Form):
        _form(pdf, block)
    elif isinstance(block, Signatures):
        _signatures(pdf, block)
    else:  # a new block kind must be drawn before it can be sent
        raise TypeError(f"no PDF layout for {type(block).__name__}")


def _bullets(pdf: _ProposalPDF, block: Bullets) -> None:
    pdf.set_font(pdf.family, "", BODY)
    for item in block.items:
        pdf.colour("accent")
        pdf.set_x(MARGIN + 1)
        pdf.cell(5, LINE, "•")
        pdf.colour("text")
        pdf.multi_cell(0, LINE, with_citations(item.text, item.sources), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(1)
    pdf.ln(1.5)


def _table(pdf: _ProposalPDF, block: Table) -> None:
    pdf.set_fill_color(255, 255, 255)  # rows between the shaded ones stay white
    pdf.set_font(pdf.family, "", 8.5)
    pdf.colour("text")
    pdf.set_draw_color(*pdf.colours["rule"])
    pdf.set_line_width(0.2)
    heading = FontFace(emphasis="BOLD", color=(255, 255, 255), fill_color=pdf.colours["primary"])
    aligns = tuple("RIGHT" if c.align == "right" else "LEFT" for c in block.columns)
    with pdf.table(
        col_widths=tuple(c.width for c in block.columns),
        text_align=aligns,
        headings_style=heading,
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        cell_fill_color=pdf.colours["shade"],
        cell_fill_mode=TableCellFillMode.ROWS,
        line_height=4.6,
        padding=(1.6, 2),
        v_align="TOP",
    ) as table:
        header = table.row()
        for column in block.columns:
            header.cell(column.title)
        for values in block.rows:
            row = table.row()
            for value in values:
                row.cell(value)
        total = FontFace(emphasis="BOLD", color=pdf.colours["primary"], fill_color=(255, 255, 255))
        for values in block.totals:
            row = table.row()
            for value in values:
                row.cell(value, style=total)
    pdf.ln(4)


def _facts(pdf: _ProposalPDF, block: Facts) -> None:
    pdf.set_fill_color(255, 255, 255)
    pdf.set_font(pdf.family, "", 9)
    pdf.colour("text")
    pdf.set_draw_color(*pdf.colours["rule"])
    label = FontFace(emphasis="BOLD", color=pdf.colours["primary"])
    with pdf.table(
        col_widths=(1, 2.6),
        first_row_as_headings=False,
        cell_fill_mode=TableCellFillMode.NONE,
        text_align=("LEFT", "LEFT"),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        line_height=4.8,
        padding=(1.6, 2),
        v_align="TOP",
    ) as table:
        for name, value in block.rows:
            row = table.row()
            row.cell(name, style=label)
            row.cell(value)
    pdf.ln(4)


def _form(pdf: _ProposalPDF, block: Form) -> None:
    if pdf.get_y() > pdf.h - 25 - 9 * len(block.fields):
        pdf.add_page()
    pdf.set_font(pdf.family, "B", 10)
    pdf.colour("primary")
    pdf.cell(0, 6, block.heading, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(1)
    pdf.set_draw_color(*pdf.colours["muted"])
    for field in block.fields:
        pdf.set_font(pdf.family, "", 9)
        pdf.colour("text")
        pdf.cell(70, 8, field)
        y = pdf.get_y() + 6.5
        pdf.line(MARGIN + 70, y, pdf.w - MARGIN, y)
        pdf.ln(9)
    pdf.ln(3)


def _signatures(pdf: _ProposalPDF, block: Signatures) -> None:
    height = 12 + 13 * len(block.lines)
    if pdf.get_y() > pdf.h - 25 - height:
        pdf.add_page()
    top = pdf.get_y() + 2
    width = (pdf.w - 2 * MARGIN - 10) / max(1, len(block.parties))
    pdf.set_draw_color(*pdf.colours["muted"])
    for index, party in enumerate(block.parties):
        x = MARGIN + index * (width + 10)
        pdf.set_fill_color(*pdf.colours["shade"])
        pdf.rect(x, top, width, height, style="F")
        pdf.set_xy(x + 4, top + 3)
        pdf.set_font(pdf.family, "B", 10)
        pdf.colour("primary")
        pdf.multi_cell(width - 8, 5.5, party, new_x=XPos.LEFT, new_y=YPos.NEXT)
        y = top + 14
        for label in block.lines:
            pdf.line(x + 4, y + 6, x + width - 4, y + 6)
            pdf.set_xy(x + 4, y + 6.5)
            pdf.set_font(pdf.family, "", 7.5)
            pdf.colour("muted")
            pdf.cell(width - 8, 4, label)
            y += 13
    pdf.set_y(top + height + 6)
