"""Piccolo configuration: used for migrations (``homeloop migrate``), not for requests.

Requests use :mod:`backend.db` (persistent connections); see its docstring for why.
"""

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from backend.config import get_settings


def _engine() -> SQLiteEngine | PostgresEngine:
    settings = get_settings()
    if settings.is_sqlite:
        settings.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        return SQLiteEngine(path=str(settings.sqlite_path), timeout=30)
    return PostgresEngine(config={"dsn": settings.database_url})


DB = _engine()

APP_REGISTRY = AppRegistry(apps=["backend.piccolo_app"])
