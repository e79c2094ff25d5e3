"""Next actions read from the ways reps write: commitments, requests, people to bring in, meetings booked ahead,
chat spellings and dates; and nothing from facts, what already happened, questions, hedges or thanks."""

from __future__ import annotations

from datetime import date

import pytest

from agents.offline.next_actions import read_next_actions

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "title", "due"),
    [
        # What the rep said they would do.
        ("I'll send Priya the security whitepaper tomorrow", "Send Priya the security whitepaper", date(2026, 12, 3)),
        ("told Raj I'd send over the pricing sheet by Monday", "Send over the pricing sheet to Raj", date(2026, 12, 7)),
        (
            "We told the customer we would share the data flow diagram",
            "Share the data flow diagram to the customer",
            None,
        ),
        ("im gonna draft the SOW on the 9th", "Draft the SOW", date(2026, 12, 9)),
        ("putting together the mutual action plan tmrw", "Put together the mutual action plan", date(2026, 12, 3)),
        ("prepping the exec deck for Thursday", "Prep the exec deck", date(2026, 12, 3)),
        ("I'm on the hook for the ROI calc by Monday", "Deliver the ROI calc", date(2026, 12, 7)),
        ("on me to circulate the notes tmrw", "Circulate the notes", date(2026, 12, 3)),
        ("will email Kofi the renewal quote next wk", "Email Kofi the renewal quote", date(2026, 12, 9)),
        # Asked for, with a day or a please.
        ("plz share the case study w/ them by Fri", "Share the case study with them", date(2026, 12, 4)),
        ("please get the signed NDA back from Initech", "Get the signed NDA back from Initech", None),
        ("they asked us to send the reference architecture by EOD", "Send the reference architecture", WEDNESDAY),
        # Someone to bring in, a meeting to have.
        ("gotta get their VP eng on a call", "Call with their VP eng", None),
        ("need to loop in our solutions architect", "Loop in our solutions architect", None),
        ("need legal to review the MSA by Friday", "Get legal to review the MSA", date(2026, 12, 4)),
        ("need someone from product on the roadmap call", "Roadmap call with someone from product", None),
        (
            "lets set up a workshop with their data team next Tuesday",
            "Workshop with their data team",
            date(2026, 12, 8),
        ),
        (
            "we need a quick sync w/ their finance lead, he has questions on billing",
            "Quick sync with their finance lead",
            None,
        ),
        # A meeting booked ahead is a step on its day.
        ("scheduled a call with their CTO for Fri the 11th", "Call with their CTO", date(2026, 12, 11)),
        ("the QBR with Globex is booked for the 14th", "QBR with Globex", date(2026, 12, 14)),
        ("we have an onsite with their ops team Thursday 10th", "Onsite with their ops team", date(2026, 12, 10)),
        ("calendar invite sent for the kickoff on the 14th", "Kickoff", date(2026, 12, 14)),
        ("we're meeting their CFO on Tuesday", "Meeting with their CFO", date(2026, 12, 8)),
        # What the customer will do: chase it.
        (
            "Sarah from IT will come back to us with the SSO requirements",
            "Chase the SSO requirements from Sarah from IT",
            None,
        ),
        (
            "their CFO is going to send us the budget approval in 3 wks",
            "Chase the budget approval from their CFO",
            date(2026, 12, 23),
        ),
        ("they're gonna sign the order form Friday", "Chase the signed order form from them", date(2026, 12, 4)),
        ("they still owe us the DPA, I'll nudge Ana monday", "Chase the DPA from them", date(2026, 12, 7)),
        ("they'll have the redlines back to us by Monday", "Chase the redlines from them", date(2026, 12, 7)),
        (
            "waiting on their security team for the pen test results, due Friday",
            "Chase the pen test results from their security team",
            date(2026, 12, 4),
        ),
    ],
)
def test_a_step_is_read_from_how_reps_write(text: str, title: str, due: date | None):
    assert [(a.title, a.due, a.owner) for a in read_next_actions(text, today=WEDNESDAY)] == [(title, due, None)]


@pytest.mark.parametrize(
    ("text", "title", "owner", "due"),
    [
        (
            "hey <@U0SE2>, could you review the security answers by tmrw?",
            "Review the security answers",
            "U0SE2",
            date(2026, 12, 3),
        ),
        (
            "<@U0LEGAL> need your approval on the redlined MSA by Friday",
            "Approve the redlined MSA",
            "U0LEGAL",
            date(2026, 12, 4),
        ),
        (
            "<@U0SE2> pls join the call with their architects on the 10th",
            "Join the call with their architects",
            "U0SE2",
            date(2026, 12, 10),
        ),
        (
            "<@U0REP3> can u intro us to someone at Initech? they run the same stack",
            "Introduce us to someone at Initech",
            "U0REP3",
            None,
        ),
        ("<@U0MGR> need ur sign-off for the 3-year ramp", "Sign off on the 3-year ramp", "U0MGR", None),
    ],
)
def test_someone_mentioned_and_asked_owns_the_step(text: str, title: str, owner: str, due: date | None):
    assert [(a.title, a.owner, a.due) for a in read_next_actions(text, today=WEDNESDAY)] == [(title, owner, due)]


@pytest.mark.parametrize(
    "text",
    [
        "sent them the revised pricing yesterday",
        "we had a great call with the CFO last week",
        "booked the demo yesterday, went well",
        "should I send them the deck now?",
        "can you summarise where the deal stands?",
        "might be good to do a workshop at some point",
        "we should grab coffee with them sometime",
        "they have 500 employees and use Snowflake",
        "thanks <@U0SE2> for the help on the call!",
        "if they sign this quarter we'd need a pilot",
        "the demo went great, they loved the lineage view",
        "we need SSO and SCIM",
        "Priya sent the questionnaire over on Monday",
        "great meeting today",
        "let's get started",
        "maybe we should loop in legal",
        "it will send an alert when a job fails",
        "Nothing new from Acme this week, still waiting on them",
        "they need legal to approve anything over 100k",
        "meeting notes from Friday attached",
        "demo was set for last Tuesday but they cancelled",
        "the call is set",
    ],
)
def test_facts_the_past_questions_hedges_and_thanks_propose_nothing(text: str):
    assert read_next_actions(text, today=WEDNESDAY) == []


def test_a_sentence_proposes_one_step_and_a_message_at_most_two():
    text = "I'll send the deck Friday, then book the demo. They'll share the schema. Need to loop in legal."
    titles = [a.title for a in read_next_actions(text, today=WEDNESDAY)]
    assert titles == ["Send the deck", "Chase the schema from them"]
