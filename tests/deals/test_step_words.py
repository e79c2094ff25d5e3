"""Next steps read from people's words: which sentences are steps, whose they are, and their due dates,
resolved against the moment and time zone they were written in."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from deals.step_words import read_steps

NEW_YORK = ZoneInfo("America/New_York")
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=NEW_YORK)


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        ("follow up with their CISO next Tuesday", "Follow up with their CISO", date(2026, 12, 8)),
        ("Next step: send the security questionnaire by Friday", "Send the security questionnaire", date(2026, 12, 4)),
        ("remind me to call Sam the day after tomorrow", "Call Sam", date(2026, 12, 4)),
        ("I'll follow up with Raj by EOD", "Follow up with Raj", date(2026, 12, 2)),
        ("follow-up: legal review on Dec 15", "Legal review", date(2026, 12, 15)),
        ("Let's check in with the champion end of week", "Check in with the champion", date(2026, 12, 4)),
        ("todo: book the demo in 2 weeks", "Book the demo", date(2026, 12, 16)),
        ("action item: send pricing 12/20", "Send pricing", date(2026, 12, 20)),
    ],
)
def test_a_step_and_its_due_date_are_read_from_the_words(text: str, title: str, due: date):
    read = read_steps(text, written_at=WEDNESDAY)
    assert [(step.title, step.due) for step in read.steps] == [(title, due)]
    assert read.only_steps


def test_the_date_is_read_where_the_writer_is():
    # 23:30 on Wednesday in New York is already Thursday in UTC: "tomorrow" is Thursday for them.
    late = datetime(2026, 12, 2, 23, 30, tzinfo=NEW_YORK)
    assert read_steps("follow up tomorrow", written_at=late).steps[0].due == date(2026, 12, 3)
    tokyo = late.astimezone(ZoneInfo("Asia/Tokyo"))  # Thursday 13:30 there
    assert read_steps("follow up tomorrow", written_at=tokyo).steps[0].due == date(2026, 12, 4)


def test_a_time_of_day_or_a_number_is_not_a_date_and_an_unread_date_stays_in_the_title():
    read = read_steps("follow up with the 250 seat team at 3pm", written_at=WEDNESDAY)
    assert [(s.title, s.due) for s in read.steps] == [("Follow up with the 250 seat team at 3pm", None)]
    unread = read_steps("follow up with them after the offsite", written_at=WEDNESDAY).steps[0]
    assert unread.due is None and unread.title == "Follow up with them after the offsite"


def test_a_step_that_names_someone_first_is_theirs():
    [step] = read_steps("next step: <@U0REP2> to send the deck Friday", written_at=WEDNESDAY).steps
    assert (step.owner, step.title, step.due) == ("U0REP2", "Send the deck", date(2026, 12, 4))


def test_only_sentences_that_are_steps_count_and_facts_beside_them_go_to_discovery():
    read = read_steps("They have 300 seats. Next step: call Helen tomorrow.", written_at=WEDNESDAY)
    assert [s.title for s in read.steps] == ["Call Helen"] and not read.only_steps
    assert read_steps("We need SOC 2 and 250 seats by March.", written_at=WEDNESDAY).steps == []
    notes = "Follow up from the call: " + "they run nightly batch loads that take six hours and want CDC " * 3
    assert not read_steps(notes, written_at=WEDNESDAY).only_steps  # a long step is notes too


def test_a_mention_of_the_bot_is_not_part_of_the_step():
    [step] = read_steps("<@U0LTOBOT> follow up with Anna tomorrow", written_at=WEDNESDAY, bot_user_id="U0LTOBOT").steps
    assert step.title == "Follow up with Anna" and step.owner is None


@pytest.mark.parametrize(
    ("text", "title", "due", "when_said"),
    [
        ("follow up with them on the 10th", "Follow up with them", date(2026, 12, 10), "the 10th"),
        ("next step: send the MSA by the 3rd", "Send the MSA", date(2026, 12, 3), "the 3rd"),
        # Wednesday the 2nd: the 1st has passed this month, so it is next month's.
        ("todo: renewal call on the 1st", "Renewal call", date(2027, 1, 1), "the 1st"),
        ("follow up on the 21st of next month", "Follow up", date(2027, 1, 21), "the 21st of next month"),
        ("follow up on the 5th of January", "Follow up", date(2027, 1, 5), "the 5th of January"),
        ("next step: pricing review end of month", "Pricing review", date(2026, 12, 31), "end of month"),
        ("next step: pricing review by the end of the month", "Pricing review", date(2026, 12, 31), "end of month"),
        ("next step: send the SOW EOW", "Send the SOW", date(2026, 12, 4), "end of week"),
        ("follow up with legal in two weeks", "Follow up with legal", date(2026, 12, 16), "in two weeks"),
        ("check in with Raj first thing Monday", "Check in with Raj", date(2026, 12, 7), "Monday"),
        ("follow up first thing tomorrow", "Follow up", date(2026, 12, 3), "tomorrow"),
        # Chat spellings, and a weekday said with its day of the month.
        ("follow up w/ Sam tmrw am", "Follow up w/ Sam", date(2026, 12, 3), "tomorrow"),
        ("todo: chase the PO in 3 wks", "Chase the PO", date(2026, 12, 23), "in 3 weeks"),
        ("todo: pricing call next wk", "Pricing call", date(2026, 12, 9), "next week"),
        ("todo: demo for their ops team Fri the 11th", "Demo for their ops team", date(2026, 12, 11), "Fri the 11th"),
        ("check in with Raj on Thursday 17th", "Check in with Raj", date(2026, 12, 17), "Thursday 17th"),
        ("next step: send the SOW by EOD Friday", "Send the SOW", date(2026, 12, 4), "Friday"),
        ("todo: countersign the MSA tmrw COB", "Countersign the MSA", date(2026, 12, 3), "tomorrow"),
    ],
)
def test_days_of_the_month_and_loose_phrases_are_read(text: str, title: str, due: date, when_said: str):
    [step] = read_steps(text, written_at=WEDNESDAY).steps
    assert (step.title, step.due, step.when_said) == (title, due, when_said)


def test_a_day_the_month_does_not_have_is_the_next_month_that_has_it():
    november = datetime(2026, 11, 5, 9, 0, tzinfo=NEW_YORK)
    assert read_steps("follow up on the 31st", written_at=november).steps[0].due == date(2026, 12, 31)
    # "the 30th of next month" in January: February has none, so it is read as no date at all.
    january = datetime(2027, 1, 10, 9, 0, tzinfo=NEW_YORK)
    step = read_steps("follow up on the 30th of next month", written_at=january).steps[0]
    assert step.due is None


def test_a_number_that_is_not_a_day_of_the_month_is_not_a_date():
    step = read_steps("follow up about the 40th seat", written_at=WEDNESDAY).steps[0]
    assert step.due is None and step.title == "Follow up about the 40th seat"
    step = read_steps("follow up about the 2nd phase on Friday", written_at=WEDNESDAY).steps[0]
    assert (step.title, step.due) == ("Follow up about the 2nd phase", date(2026, 12, 4))
