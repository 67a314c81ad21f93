"""Sequence steps, the pure part: per-step validation from the editor's rows and the
graph checks (next keys exist, no cycles, all reachable, one start)."""

from domain.sequences import rules

HTML = ("<p>Hi {{ first_name }}</p><p><a href=\"{{ unsubscribe_url }}\">Unsubscribe</a> "
        "{{ postal_address }}</p>")


def row(**fields) -> dict:
    return {k: str(v) for k, v in fields.items()}


def valid_rows() -> list[dict]:
    return [
        row(key="hello", type="email", subject="Hi", html_body=HTML, next="wait"),
        row(key="wait", type="wait", amount=3, unit="days", window="weekdays_9_17",
            next="check"),
        row(key="check", type="condition", test="clicked", step="hello", then="call",
            **{"else": "end"}),
        row(key="call", type="task", kind="call", title="Call them", due_days=2, next="end"),
        row(key="end", type="end"),
    ]


def test_a_valid_sequence_parses_into_typed_steps():
    steps, errors = rules.parse_steps(valid_rows())
    assert errors == {}
    assert [s["type"] for s in steps] == ["email", "wait", "condition", "task", "end"]
    assert steps[0]["next"] == "wait" and steps[0]["text_is_custom"] is False
    assert steps[1] == {"key": "wait", "type": "wait", "amount": 3, "unit": "days",
                        "window": "weekdays_9_17", "next": "check"}
    assert steps[2]["then"] == "call" and steps[2]["else"] == "end"
    assert rules.start_key(steps) == "hello"


def test_email_steps_get_the_template_checks():
    rows = valid_rows()
    rows[0]["html_body"] = "<p>No footer</p>"
    _, errors = rules.parse_steps(rows)
    assert "unsubscribe" in errors["steps-0"]
    rows[0]["html_body"] = HTML.replace("first_name", "password")
    _, errors = rules.parse_steps(rows)
    assert "steps-0" in errors


def test_next_keys_must_exist():
    rows = valid_rows()
    rows[3]["next"] = "nowhere"
    _, errors = rules.parse_steps(rows)
    assert "nowhere" in errors["steps-3"]


def test_cycles_are_refused():
    rows = valid_rows()
    rows[3]["next"] = "wait"
    _, errors = rules.parse_steps(rows)
    assert "loop" in errors["steps"]


def test_every_step_must_be_reachable_from_the_first():
    rows = [*valid_rows(), row(key="orphan", type="tag", tag="x", next="end")]
    _, errors = rules.parse_steps(rows)
    assert "orphan" in errors["steps"]


def test_a_second_start_step_is_unreachable():
    rows = [row(key="a", type="end"), row(key="b", type="end")]
    _, errors = rules.parse_steps(rows)
    assert "'b'" in errors["steps"]


def test_keys_are_unique_and_well_formed():
    rows = valid_rows()
    rows[1]["key"] = "hello"
    _, errors = rules.parse_steps(rows)
    assert "used by another step" in errors["steps-1"]
    rows[1]["key"] = "has space"
    _, errors = rules.parse_steps(rows)
    assert "key" in errors["steps-1"]


def test_email_tests_must_name_an_email_step():
    rows = valid_rows()
    rows[2]["step"] = "wait"
    _, errors = rules.parse_steps(rows)
    assert "email step" in errors["steps-2"]


def test_step_field_errors():
    cases = [
        row(key="w", type="wait", amount=0, unit="days", next="e"),
        row(key="w", type="wait", amount=2, unit="years", next="e"),
        row(key="w", type="task", kind="visit", title="x", due_days=1, next="e"),
        row(key="w", type="task", kind="call", title="x", due_days=999, next="e"),
        row(key="w", type="tag", tag="", next="e"),
        row(key="w", type="pool_stage", pool_id="", stage="", next="e"),
        row(key="w", type="branch", default="e"),
        row(key="w", type="condition", test="band", band="lukewarm", then="e", **{"else": "e"}),
        row(key="w", type="teleport", next="e"),
    ]
    for case in cases:
        _, errors = rules.parse_steps([case, row(key="e", type="end")])
        assert "steps-0" in errors, case


def test_branch_cases_and_successors():
    steps, errors = rules.parse_steps([
        row(key="b", type="branch", case0_test="band", case0_band="hot", case0_next="x",
            case1_test="applied", case1_next="y", default="y"),
        row(key="x", type="tag", tag="hot", next="y"), row(key="y", type="end")])
    assert errors == {}
    assert steps[0]["cases"] == [{"test": "band", "band": "hot", "next": "x"},
                                 {"test": "applied", "next": "y"}]
    assert rules.successors(steps[0]) == ["x", "y", "y"]


def test_no_steps_and_too_many_steps():
    assert rules.problems([]) == {"steps": "Add at least one step."}
    many = [{"key": f"s{i}", "type": "end"} for i in range(rules.MAX_STEPS + 1)]
    assert "at most" in rules.problems(many)["steps"]


def test_entry_and_exit_rules_from_the_form():
    entries, errors = rules.parse_entry_rules({
        "entry_community_joined": "on", "entry_community": "engineering",
        "entry_tagged": "on", "entry_tag": "  relocating ", "entry_went_cold": "on",
        "entry_pool_added": "on", "entry_pool": ""})
    assert entries[0] == {"kind": "community_joined", "community": "engineering"}
    assert {"kind": "tagged", "tag": "relocating"} in entries
    assert {"kind": "went_cold"} in entries
    assert errors == {"entry_pool": "Choose the pool."}
    assert rules.parse_exit_rules({"exit_applied": "on", "exit_replied": "on"}) == [
        "applied", "replied"]
    assert rules.describe_entry({"kind": "pool_added", "pool_id": 4}) == \
        "Added to a pool: pool #4"


def test_migration_maps_only_keys_the_new_version_has():
    old = [{"key": "a"}, {"key": "b"}, {"key": "c"}]
    new = [{"key": "a"}, {"key": "c"}, {"key": "d"}]
    assert rules.migration_map(old, new) == {"a": "a", "c": "c"}
