"""Settings from the environment, read once.

Secrets may come from ``NAME_FILE`` (a path) instead of ``NAME``, so container secrets and
systemd credentials work without putting them in the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None) -> str | None:
    """Read ``name`` from the environment, or the file named by ``name_FILE``."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def _bool(name: str, default: bool) -> bool:
    raw = env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    raw = env(name)
    return int(raw) if raw else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    secret_key: str
    base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "zh_CN"
    default_timezone: str = "Asia/Shanghai"
    secure_cookies: bool = False
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "HomeLoop <noreply@homeloop.local>"
    smtp_tls: bool = False
    code_sender: str = "console"
    max_upload_bytes: int = 25 * 1024 * 1024
    keep_originals: bool = False
    run_worker_in_process: bool = True
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path:
        # sqlite:///relative/or/absolute.db
        raw = self.database_url.split("sqlite:///", 1)[1]
        return Path(raw)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"


def _secret_key(data_dir: Path) -> str:
    configured = env("HOMELOOP_SECRET_KEY")
    if configured:
        return configured
    # First run of the embedded default: make a key and keep it beside the data, so
    # sessions and signed links survive restarts without any configuration.
    key_file = data_dir / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    import secrets

    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key, encoding="utf-8")
    key_file.chmod(0o600)
    return key


def load_settings() -> Settings:
    data_dir = Path(env("HOMELOOP_DATA_DIR", str(ROOT / "var")) or "var").resolve()
    database_url = env("DATABASE_URL") or f"sqlite:///{data_dir / 'homeloop.db'}"
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        secret_key=_secret_key(data_dir),
        base_url=env("HOMELOOP_BASE_URL", "http://127.0.0.1:8000") or "",
        default_locale=env("HOMELOOP_DEFAULT_LOCALE", "zh_CN") or "zh_CN",
        default_timezone=env("HOMELOOP_TIMEZONE", "Asia/Shanghai") or "Asia/Shanghai",
        secure_cookies=_bool("HOMELOOP_SECURE_COOKIES", False),
        smtp_host=env("SMTP_HOST"),
        smtp_port=_int("SMTP_PORT", 25),
        smtp_user=env("SMTP_USER"),
        smtp_password=env("SMTP_PASSWORD"),
        smtp_from=env("SMTP_FROM", "HomeLoop <noreply@homeloop.local>") or "",
        smtp_tls=_bool("SMTP_TLS", False),
        code_sender=env("HOMELOOP_CODE_SENDER", "console") or "console",
        max_upload_bytes=_int("HOMELOOP_MAX_UPLOAD_BYTES", 25 * 1024 * 1024),
        keep_originals=_bool("HOMELOOP_KEEP_ORIGINALS", False),
        run_worker_in_process=_bool("HOMELOOP_WORKER_IN_PROCESS", True),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; tests set the environment before first use)."""
    return load_settings()
