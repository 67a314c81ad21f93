import pytest

from settings import ConfigError, load_settings


def test_production_refuses_to_start_without_required_settings(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_settings({"APP_ENV": "production", "VAR_DIR": str(tmp_path)})
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL"):
        assert name in str(caught.value)


def test_production_starts_with_everything_set(tmp_path):
    settings = load_settings({
        "APP_ENV": "production", "SECRET_KEY": "s" * 40, "DATABASE_URL": "postgresql://db/x",
        "REDIS_URL": "redis://r:6379/0", "SMTP_URL": "smtp://relay:587",
        "BASE_URL": "https://careers.acme.example/", "VAR_DIR": str(tmp_path),
    })
    assert settings.base_url == "https://careers.acme.example"
    assert settings.cookie_secure is True
    assert settings.demo_seed is False


def test_local_defaults_generate_and_keep_a_secret(tmp_path):
    first = load_settings({"VAR_DIR": str(tmp_path)})
    second = load_settings({"VAR_DIR": str(tmp_path)})
    assert len(first.secret_key) >= 40
    assert first.secret_key == second.secret_key
    assert first.database_url is None and first.redis_url is None


def test_bad_numbers_name_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="PORT"):
        load_settings({"PORT": "eighty", "VAR_DIR": str(tmp_path)})


def test_staff_sso_settings_are_checked_and_off_by_default(tmp_path):
    assert not load_settings({"VAR_DIR": str(tmp_path)}).staff_sso_configured
    with pytest.raises(ConfigError, match="together"):
        load_settings({"VAR_DIR": str(tmp_path), "STAFF_OIDC_ISSUER": "https://idp.example"})
    client = {"STAFF_OIDC_CLIENT_ID": "c", "STAFF_OIDC_CLIENT_SECRET": "s"}
    with pytest.raises(ConfigError, match="https"):
        load_settings({"VAR_DIR": str(tmp_path), "STAFF_OIDC_ISSUER": "http://idp.example",
                       **client})
    settings = load_settings({"VAR_DIR": str(tmp_path), **client, "STAFF_OIDC_NAME": "Okta",
                              "STAFF_OIDC_ISSUER": "https://idp.example"})
    assert settings.staff_sso_configured and settings.staff_oidc_name == "Okta"
    assert "staff_oidc_client_secret" not in repr(settings), "secrets stay out of logs"
