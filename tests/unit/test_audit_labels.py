"""Every audit action the code records has words on the audit log page.

Action codes are found in the source: string literals (and f-string prefixes expanded
by hand below) passed as `action=` or as an argument of audit.record and of the
services' own audit helpers (_audit, record, _security_event)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from domain.compliance.audit_labels import ACTION_LABELS, action_label

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z_]+\.[a-z_]+$")
HELPERS = {"record", "_audit", "_security_event"}
# Built with an f-string, so spelled out: people_import.{status}, bulk.{kind}.
EXPANDED = {"people_import.done", "people_import.failed", "bulk.tag", "bulk.export_csv"}
# Issue 8's security and integration actions: named here too, so that a rename in the
# code that the scan would follow still has to come with its label.
SECURITY = {
    "staff.sso_refused", "staff.sso_linked", "staff.sso_provisioned",
    "staff.login_password_ok", "staff.totp_enabled", "staff.totp_disabled",
    "sso.settings_changed", "staff.invited", "staff.roles_changed", "staff.disabled",
    "staff.enabled", "staff.sessions_ended", "api.auth_failed", "api.permission_denied",
    "api_token.created", "api_token.revoked", "webhook.created", "webhook.auto_disabled",
}


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def recorded_actions() -> dict[str, str]:
    found: dict[str, str] = {}
    for folder in ("domain", "backoffice", "api", "portal", "workers"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text()
            if "audit" not in text:
                continue
            for node in ast.walk(ast.parse(text)):
                if not isinstance(node, ast.Call):
                    continue
                given = [k.value for k in node.keywords if k.arg == "action"]
                if _callee(node) in HELPERS:
                    given += node.args
                for value in given:
                    for sub in ast.walk(value):
                        if (isinstance(sub, ast.Constant) and isinstance(sub.value, str)
                                and CODE.match(sub.value)):
                            found.setdefault(sub.value, str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_actions_it_should():
    found = recorded_actions()
    assert len(found) > 80
    assert set(found) >= SECURITY, sorted(SECURITY - set(found))


def test_every_recorded_action_has_a_label():
    missing = {code: where for code, where in recorded_actions().items()
               if code not in ACTION_LABELS}
    assert not missing, f"add these to domain/compliance/audit_labels.py: {missing}"
    assert set(ACTION_LABELS) >= EXPANDED | SECURITY


def test_labels_are_words_and_unknown_codes_show_as_they_are():
    assert action_label("staff.sso_refused") == "Single sign-on refused"
    assert action_label("bulk.add_to_pool") == "Bulk action: add them to a pool"
    assert action_label("something.new") == "something.new"
    assert all(label and label != code for code, label in ACTION_LABELS.items())
