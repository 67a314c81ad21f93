"""Settings read once from the environment (stdlib only, so piccolo_conf can import it)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent

# Settings a production deployment must set explicitly: the local defaults
# (embedded services, a generated secret) would be unsafe or wrong there.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_URL", "BASE_URL")


class ConfigError(Exception):
    """The environment does not describe a runnable configuration."""


@dataclass(frozen=True)
class Settings:
    app_env: str = "development"
    secret_key: str = ""
    database_url: str | None = None
    redis_url: str | None = None
    smtp_url: str | None = None
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    var_dir: Path = ROOT / "var"
    mail_sink_dir: Path | None = None
    mail_from: str = "Acme Careers <careers@acme.example>"
    company_name: str = "Acme"
    postal_address: str = "Acme Inc., 1 Market Street, San Francisco, CA 94105, USA"
    session_idle_minutes: int = 30
    db_pool_max: int = 5
    worker_concurrency: int = 20
    log_level: str = "INFO"
    page_cache_seconds: float = 2.0
    demo_seed: bool = True
    cookie_secure: bool = False
    federal_contractor: bool = False
    # EEO report: groups with fewer applicants than this are shown as "fewer than N".
    eeo_min_group: int = 10
    # Marketing sending (domain.campaigns.sending): SMTP connections kept open per worker,
    # and the send rate all workers together stay under (a Redis token bucket).
    smtp_pool_size: int = 4
    mail_rate_per_second: float = 50.0
    # Replies come back to replies+<token>@REPLY_DOMAIN (the inbound SMTP listener or the
    # provider's inbound webhook); bounce/complaint webhooks are signed with this secret.
    reply_domain: str = "replies.acme.example"
    inbound_webhook_secret: str = field(default="", repr=False)
    inbound_smtp_port: int = 2526
    # Candidate sign-in with a generic OIDC provider and/or GitHub (off unless configured).
    portal_oidc_issuer: str = ""
    portal_oidc_client_id: str = ""
    portal_oidc_client_secret: str = field(default="", repr=False)
    portal_oidc_name: str = "Single sign-on"
    portal_github_client_id: str = ""
    portal_github_client_secret: str = field(default="", repr=False)
    portal_github_api_url: str = "https://api.github.com"
    portal_github_authorize_url: str = "https://github.com/login/oauth/authorize"
    # An endpoint, not a credential: S105 only sees "token" in the name.
    portal_github_token_url: str = "https://github.com/login/oauth/access_token"  # noqa: S105
    # Staff single sign-on with an OIDC provider (off unless configured; policy in the
    # back office's SSO settings page).
    staff_oidc_issuer: str = ""
    staff_oidc_client_id: str = ""
    staff_oidc_client_secret: str = field(default="", repr=False)
    staff_oidc_name: str = "Single sign-on"
    missing: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_production(self) -> bool:
        return self.app_env == "production"

    @property
    def social_sign_in(self) -> tuple[tuple[str, str], ...]:
        """(name, button label) of each configured candidate sign-in provider."""
        providers = []
        if self.portal_oidc_issuer:
            providers.append(("oidc", self.portal_oidc_name))
        if self.portal_github_client_id:
            providers.append(("github", "GitHub"))
        return tuple(providers)

    @property
    def staff_sso_configured(self) -> bool:
        return bool(self.staff_oidc_issuer)

    def require_database_url(self) -> str:
        if not self.database_url:
            raise ConfigError(
                "DATABASE_URL is not set: run `talentloop run` (starts embedded PostgreSQL) "
                "or set DATABASE_URL=postgresql://user@host:5432/talentloop"
            )
        return self.database_url

    def require_redis_url(self) -> str:
        if not self.redis_url:
            raise ConfigError(
                "REDIS_URL is not set: run `talentloop run` (starts embedded Redis) "
                "or set REDIS_URL=redis://host:6379/0"
            )
        return self.redis_url


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def is_loopback_url(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _provider_url(env: Mapping[str, str], name: str, default: str = "") -> str:
    """A sign-in provider URL that the server itself fetches (discovery, keys, tokens, API).

    https only, so nobody on the path can forge who signed in; plain http is allowed on
    loopback alone, for tests and a local IdP, and never to another host, where it would
    also turn configuration into an SSRF lever on the internal network (QUALITY X7).
    """
    url = (env.get(name) or default).strip()
    if url and not url.startswith("https://") and not (
            url.startswith("http://") and is_loopback_url(url)):
        raise ConfigError(f"{name} must be an https:// URL (http only on loopback), got {url!r}")
    return url


def _together(env: Mapping[str, str], *names: str) -> None:
    given = [name for name in names if env.get(name)]
    if given and len(given) < len(names):
        raise ConfigError(" and ".join(names) + " must be set together")


def _social(env: Mapping[str, str]) -> dict[str, str]:
    _together(env, "PORTAL_OIDC_ISSUER", "PORTAL_OIDC_CLIENT_ID", "PORTAL_OIDC_CLIENT_SECRET")
    _together(env, "PORTAL_GITHUB_CLIENT_ID", "PORTAL_GITHUB_CLIENT_SECRET")
    return {
        "portal_oidc_issuer": _provider_url(env, "PORTAL_OIDC_ISSUER"),
        "portal_oidc_client_id": env.get("PORTAL_OIDC_CLIENT_ID", ""),
        "portal_oidc_client_secret": env.get("PORTAL_OIDC_CLIENT_SECRET", ""),
        "portal_oidc_name": env.get("PORTAL_OIDC_NAME") or Settings.portal_oidc_name,
        "portal_github_client_id": env.get("PORTAL_GITHUB_CLIENT_ID", ""),
        "portal_github_client_secret": env.get("PORTAL_GITHUB_CLIENT_SECRET", ""),
        "portal_github_api_url": _provider_url(env, "PORTAL_GITHUB_API_URL",
                                               Settings.portal_github_api_url).rstrip("/"),
        "portal_github_authorize_url": _provider_url(env, "PORTAL_GITHUB_AUTHORIZE_URL",
                                                     Settings.portal_github_authorize_url),
        "portal_github_token_url": _provider_url(env, "PORTAL_GITHUB_TOKEN_URL",
                                                 Settings.portal_github_token_url),
    }


def _staff_sso(env: Mapping[str, str]) -> dict[str, str]:
    _together(env, "STAFF_OIDC_ISSUER", "STAFF_OIDC_CLIENT_ID", "STAFF_OIDC_CLIENT_SECRET")
    return {
        "staff_oidc_issuer": _provider_url(env, "STAFF_OIDC_ISSUER"),
        "staff_oidc_client_id": env.get("STAFF_OIDC_CLIENT_ID", ""),
        "staff_oidc_client_secret": env.get("STAFF_OIDC_CLIENT_SECRET", ""),
        "staff_oidc_name": env.get("STAFF_OIDC_NAME") or Settings.staff_oidc_name,
    }


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _secret_key(env: Mapping[str, str], var_dir: Path) -> str:
    """Use SECRET_KEY, else a key generated once and kept under var/ for local runs."""
    if env.get("SECRET_KEY"):
        return env["SECRET_KEY"]
    key_file = var_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    app_env = env.get("APP_ENV", "development")
    missing = tuple(name for name in REQUIRED_IN_PRODUCTION if not env.get(name))
    if app_env == "production" and missing:
        raise ConfigError("APP_ENV=production needs these settings: " + ", ".join(missing))
    var_dir = Path(env.get("VAR_DIR") or ROOT / "var")
    base_url = env.get("BASE_URL") or f"http://127.0.0.1:{_int(env, 'PORT', 8000)}"
    sink_dir = env.get("MAIL_SINK_DIR")
    return Settings(
        app_env=app_env,
        secret_key=_secret_key(env, var_dir),
        database_url=env.get("DATABASE_URL") or None,
        redis_url=env.get("REDIS_URL") or None,
        smtp_url=env.get("SMTP_URL") or None,
        base_url=base_url.rstrip("/"),
        host=env.get("HOST", "127.0.0.1"),
        port=_int(env, "PORT", 8000),
        var_dir=var_dir,
        mail_sink_dir=Path(sink_dir) if sink_dir else None,
        mail_from=env.get("MAIL_FROM", Settings.mail_from),
        company_name=env.get("COMPANY_NAME", Settings.company_name),
        postal_address=env.get("POSTAL_ADDRESS", Settings.postal_address),
        session_idle_minutes=_int(env, "SESSION_IDLE_MINUTES", 30),
        db_pool_max=_int(env, "DB_POOL_MAX", 5),
        worker_concurrency=_int(env, "WORKER_CONCURRENCY", 20),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        page_cache_seconds=_float(env, "PAGE_CACHE_SECONDS", 2.0),
        demo_seed=_flag(env.get("DEMO_SEED"), default=app_env != "production"),
        cookie_secure=_flag(env.get("COOKIE_SECURE"), default=base_url.startswith("https://")),
        federal_contractor=_flag(env.get("FEDERAL_CONTRACTOR"), default=False),
        eeo_min_group=max(1, _int(env, "EEO_MIN_GROUP", 10)),
        smtp_pool_size=max(1, _int(env, "SMTP_POOL_SIZE", 4)),
        mail_rate_per_second=max(0.1, _float(env, "MAIL_RATE_PER_SECOND", 50.0)),
        reply_domain=env.get("REPLY_DOMAIN", Settings.reply_domain),
        inbound_webhook_secret=env.get("INBOUND_WEBHOOK_SECRET", ""),
        inbound_smtp_port=_int(env, "INBOUND_SMTP_PORT", 2526),
        missing=missing,
        **_social(env),
        **_staff_sso(env),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
