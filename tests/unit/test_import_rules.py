"""People import rules without a database: reading the file, guessing the mapping, rows."""

from __future__ import annotations

import pytest

from domain.imports import rules
from domain.people.rules import InvalidEmail, normalise_email


def test_upload_errors_name_the_problem():
    for data, words in [(b"", "empty"), (b"   \n", "empty"), (b"%PDF-1.4\0\0binary", "not a CSV"),
                        (b"email,name\n", "no people"), (b"\xff\xfee\0m\0", "not a CSV"),
                        (b"email,email\na@example.com,b\n", "distinct name"),
                        (b"email,name\n\xe9t\xe9@example.com,x\n", "not UTF-8"),
                        (b"x" * (rules.MAX_BYTES + 1), "20 MB")]:
        with pytest.raises(rules.FileRejected, match=words):
            rules.check_upload(data)


def test_bom_and_semicolons_are_read_and_blank_lines_are_not_rows():
    data = "\ufeffE-mail;Vorname;Nachname\na@example.com;Ann;Lee\n\nb@example.com;Bo;Li\n"
    headers, delimiter, total = rules.check_upload(data.encode())
    assert (headers, delimiter, total) == (["E-mail", "Vorname", "Nachname"], ";", 2)
    rows = list(rules.data_rows(data.encode().decode("utf-8-sig"), ";", headers))
    assert [number for number, _ in rows] == [2, 4]  # spreadsheet rows: the header is 1


def test_mapping_is_guessed_from_header_names_each_field_once():
    mapping = rules.guess_mapping(["Email Address", "First Name", "last_name", "Mobile",
                                   "LinkedIn URL", "Job Title", "Country", "Skills", "Email",
                                   "Notes"])
    assert mapping == {"Email Address": "email", "First Name": "first_name",
                       "last_name": "last_name", "Mobile": "phone", "LinkedIn URL": "linkedin",
                       "Job Title": "headline", "Country": "country", "Skills": "skills",
                       "Email": "ignore", "Notes": "ignore"}


def test_a_mapping_needs_one_email_column_and_each_field_once():
    assert rules.check_mapping({"a": "email", "b": "full_name"}) == []
    assert "Email" in rules.check_mapping({"a": "full_name"})[0]
    assert "one column only" in " ".join(rules.check_mapping({"a": "email", "b": "phone",
                                                              "c": "phone"}))
    assert rules.check_mapping({"a": "email", "b": "password"})


MAPPING = {"Email": "email", "First": "first_name", "Last": "last_name", "Phone": "phone",
           "Country": "country", "Level": "seniority", "Tags": "tags",
           "LinkedIn": "linkedin"}


def test_a_good_row_is_normalised():
    person, errors = rules.parse_row(2, {
        "Email": " Ann.Lee@Example.COM ", "First": "Ann", "Last": " Lee ",
        "Phone": "07911 123456", "Country": "united kingdom", "Level": "Senior",
        "Tags": "pycon, PyCon ,speaker", "LinkedIn": "https://www.linkedin.com/in/annlee/"},
        MAPPING)
    assert errors == []
    assert (person.email, person.full_name, person.phone, person.country, person.seniority,
            person.tags, person.linkedin) == (
        "ann.lee@example.com", "Ann Lee", "+447911123456", "GB", "senior",
        ["pycon", "PyCon", "speaker"], "linkedin.com/in/annlee")


def test_a_bad_row_gives_row_column_and_reason_for_each_problem():
    person, errors = rules.parse_row(7, {"Email": "not-an-email", "Phone": "12",
                                         "Country": "Atlantis", "Level": "guru"}, MAPPING)
    assert person is None
    assert [(e.row, e.column) for e in errors] == [(7, "Email"), (7, "Phone"),
                                                   (7, "Country"), (7, "Level")]
    assert "valid email" in errors[0].reason
    _, missing = rules.parse_row(3, {"Email": ""}, MAPPING)
    assert missing[0].as_dict() == {"row": 3, "column": "Email", "reason": "no email address"}


@pytest.mark.parametrize("raw", ["Ann@Example.com", "a.b+c@sub.example.co.uk", "x@localhost",
                                 "a..b@example.com", ".a@example.com", "a@example", "a@-x.com",
                                 "ünï@example.com", "a@exämple.com", "a@example.test",
                                 "a@123.123", "A_B%c@EXAMPLE.ORG", "a@b@example.com"])
def test_the_fast_email_path_agrees_with_normalise_email(raw):
    try:
        expected = normalise_email(raw)
    except InvalidEmail:
        with pytest.raises(InvalidEmail):
            rules.fast_email(raw)
        return
    assert rules.fast_email(raw) == expected


def test_the_same_email_twice_later_values_fill_blanks():
    first = rules.PersonRow(2, "a@example.com", full_name="Ann", tags=["x"])
    first.fill_blanks(rules.PersonRow(5, "a@example.com", full_name="Other", phone="+1",
                                      tags=["y"]))
    assert (first.full_name, first.phone, first.tags) == ("Ann", "+1", ["x", "y"])


def test_import_ledger_entries_read_in_words():
    from domain.consent.rules import ACTION_LABELS, PURPOSE_LABELS, method_label

    assert PURPOSE_LABELS["sourcing"] == "Keeping your details in our talent database"
    assert ACTION_LABELS["noted"] == "Recorded (legitimate interest)"
    assert method_label("import:42") == "Added by our recruiters from a list (import)"
    assert method_label("double_opt_in") == "Confirmed with the link we emailed you"
    assert method_label("something_new") == "something_new"


def test_the_row_parser_gives_what_parse_row_gives_and_reads_a_phone_once():
    parser = rules.RowParser(MAPPING)
    cells = {"Email": "a@example.com", "Phone": "07911 123456", "Level": "Senior",
             "Country": "germany"}
    for number in (2, 3):
        assert parser(number, cells) == rules.parse_row(number, cells, MAPPING)
    assert parser.phones == {"07911 123456": ("+447911123456", "")}
    _, errors = parser(4, {**cells, "Phone": "12"})
    assert [(e.row, e.column) for e in errors] == [(4, "Phone")]


def test_lists_go_to_the_staging_table_as_array_text_and_hashes_match_suppression():
    from domain.imports.bulk import array_literal, email_hashes
    from domain.privacy.suppression import email_hash

    assert array_literal([]) == "{}"
    assert array_literal(['a"b', "c\\d", "NULL", "x,{y}"]) == \
        '{"a\\"b","c\\\\d","NULL","x,{y}"}'
    assert email_hashes(["ann@example.com"]) == {email_hash("ann@example.com"):
                                                 "ann@example.com"}
