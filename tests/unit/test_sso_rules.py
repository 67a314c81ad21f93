"""Pure rules of staff SSO and TOTP: MFA in amr/acr, role mapping, the policy form, and
which time step a code belongs to."""

import pyotp
import pytest

from domain.accounts import totp
from domain.accounts.sso_rules import (
    SsoPolicy,
    groups_in,
    mapped_roles,
    needs_mfa,
    parse_policy,
    reports_mfa,
    roles_for,
)
from domain.errors import Invalid


@pytest.mark.parametrize(("claims", "mfa"), [
    ({}, False), ({"amr": ["pwd"]}, False), ({"amr": "mfa"}, False), ({"amr": ["pin"]}, False),
    ({"amr": ["pwd", "otp"]}, True), ({"amr": ["HWK"]}, True), ({"amr": ["mfa"]}, True),
    ({"acr": "http://schemas.openid.net/pape/policies/2007/06/multi-factor"}, True),
    ({"acr": "urn:okta:loa:2fa:any"}, True), ({"acr": "aal1"}, False),
    ({"acr": "nomfa"}, False), ({"acr": 2}, False),
])
def test_mfa_is_read_from_amr_or_acr(claims, mfa):
    assert reports_mfa(claims) is mfa


def test_roles_come_from_mapped_groups_only():
    policy = SsoPolicy(group_roles={"hr": ("recruiter",), "ops": ("admin", "recruiter")})
    assert mapped_roles(policy, ["hr", "ops", "other"]) == ("recruiter", "admin")
    assert groups_in({"groups": "hr"}, "groups") == ["hr"]
    assert groups_in({"groups": ["hr", 3]}, "groups") == ["hr"]
    assert groups_in({}, "groups") is None, "no claim: roles are left alone"
    with_default = SsoPolicy(default_role="event_host", group_roles={"hr": ("recruiter",)})
    assert roles_for(with_default, ["hr"]) == ("recruiter",)
    assert roles_for(with_default, ["other"]) == roles_for(with_default, None) == ("event_host",)
    assert roles_for(SsoPolicy(), ["hr"]) == ()
    assert needs_mfa(SsoPolicy(mfa_required_roles=("admin",)), ("admin", "recruiter"))
    assert not needs_mfa(SsoPolicy(mfa_required_roles=("admin",)), ("recruiter",))


def test_a_valid_form_becomes_a_policy():
    policy = parse_policy({"local_login_enabled": "on", "jit_provisioning": "on",
                           "default_role": "recruiter", "allowed_domains": "A.example, b.example",
                           "group_roles": '{"g": ["admin", "admin"]}', "groups_claim": ""},
                          ["admin", ""])
    assert policy.allowed_domains == ("a.example", "b.example")
    assert policy.group_roles == {"g": ("admin",)} and policy.groups_claim == "groups"
    assert policy.mfa_required_roles == ("admin",) and policy.local_login_enabled


@pytest.mark.parametrize(("form", "field"), [
    ({"default_role": "root"}, "default_role"),
    ({"allowed_domains": "localhost"}, "allowed_domains"),
    ({"group_roles": "[1]"}, "group_roles"),
    ({"group_roles": '{"g": ["nobody"]}'}, "group_roles"),
    ({"group_roles": "{" * 5000}, "group_roles"),
    ({"groups_claim": "a b"}, "groups_claim"),
    ({"jit_provisioning": "on", "default_role": "recruiter"}, "allowed_domains"),
    ({"jit_provisioning": "on", "allowed_domains": "a.example"}, "default_role"),
])
def test_bad_forms_name_the_field(form, field):
    with pytest.raises(Invalid) as caught:
        parse_policy(form, [])
    assert field in caught.value.errors


def test_a_code_matches_its_step_within_one_step_of_drift_and_only_after_the_last():
    secret, now = pyotp.random_base32(), 1_800_000_000.0
    step = int(now // 30)
    code = pyotp.TOTP(secret).at(now)
    assert totp.matching_step(secret, code, now, 0) == step
    assert totp.matching_step(secret, code, now + 30, 0) == step, "one step late still works"
    assert totp.matching_step(secret, code, now + 90, 0) is None, "three steps late does not"
    assert totp.matching_step(secret, code, now, step) is None, "a used step is refused"
    assert totp.matching_step(secret, "12345", now, 0) is None


def test_secrets_are_encrypted_and_tampering_is_detected():
    token = totp.encrypt("JBSWY3DPEHPK3PXP")
    assert "JBSWY3DPEHPK3PXP" not in token and totp.decrypt(token) == "JBSWY3DPEHPK3PXP"
    assert totp.decrypt(token[:-4] + "AAAA") is None and totp.decrypt("junk") is None
