"""Applying as pure rules: screening answers and knockouts, source tracking, self-ID."""

from domain.pipeline import rules

QUESTIONS = [
    {"key": "visa", "label": "Do you need a visa?", "kind": "yes_no", "required": True,
     "knockout": "yes"},
    {"key": "level", "label": "Level", "kind": "choice", "choices": ["Junior", "Senior"],
     "required": False, "knockout": ""},
    {"key": "why", "label": "Why us?", "kind": "text", "required": False},
]


def test_valid_answers_pass_without_knockout():
    result = rules.screen(QUESTIONS, {"visa": "no", "level": "Senior", "why": " Great  team "})
    assert result.errors == {}
    assert result.answers == {"visa": "no", "level": "Senior", "why": "Great team"}
    assert result.knockout is False


def test_a_knockout_answer_flags_but_is_still_accepted():
    result = rules.screen(QUESTIONS, {"visa": "yes"})
    assert result.errors == {} and result.knockout is True
    assert result.answers == {"visa": "yes"}


def test_required_choice_and_yes_no_are_checked():
    result = rules.screen(QUESTIONS, {"level": "Wizard"})
    assert result.errors == {"answer-visa": "Answer this question.",
                             "answer-level": "Choose one of the options."}
    assert rules.screen(QUESTIONS, {"visa": "maybe"}).errors == {
        "answer-visa": "Choose yes or no."}


def test_knockout_as_a_list_or_a_boolean():
    questions = [{"key": "a", "label": "A", "kind": "choice", "choices": ["x", "y", "z"],
                  "knockout": ["x", "y"]},
                 {"key": "b", "label": "B", "kind": "yes_no", "knockout": False}]
    assert rules.screen(questions, {"a": "y"}).knockout is True
    assert rules.screen(questions, {"a": "z", "b": "yes"}).knockout is False
    assert rules.screen(questions, {"b": "no"}).knockout is True


def test_parse_source_cleans_and_cuts():
    found = rules.parse_source({"utm_source": " linked\x00in ", "utm_medium": "social",
                                "utm_campaign": "c" * 500, "ref": "FRIEND-42"})
    assert found == {"utm_source": "linkedin", "utm_medium": "social",
                     "utm_campaign": "c" * 120, "referral_code": "FRIEND-42"}
    assert rules.parse_source({"page": "2"}) == {}
    assert rules.parse_source({"utm_source": "  "}) == {}


def test_source_label():
    assert rules.source_label({}) == "portal"
    assert rules.source_label({"utm_source": "linkedin"}) == "linkedin"
    assert rules.source_label({"utm_source": "x", "referral_code": "r1"}) == "referral"


def test_self_identification_defaults_to_declined():
    answers = rules.self_identification({"gender": "female", "race_ethnicity": "martian",
                                         "veteran": ""})
    assert answers == {"gender": "female", "race_ethnicity": "declined",
                       "veteran": "declined", "disability": "declined"}


def test_every_category_offers_to_decline():
    for options in rules.EEO_FIELDS.values():
        assert (rules.DECLINED, rules.DECLINE_LABEL) in options


def test_candidate_status_is_plain_once_decided():
    assert rules.candidate_status("active", "Under review") == "Under review"
    assert rules.candidate_status("rejected", "Interviewing") == "Not selected"
    assert rules.candidate_status("withdrawn", "Screen") == "Withdrawn"
