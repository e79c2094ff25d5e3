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
    unread = read_steps("follow up with them on the 10th", written_at=WEDNESDAY).steps[0]
    assert unread.due is None and unread.title == "Follow up with them on the 10th"


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
