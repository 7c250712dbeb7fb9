"""The ``homeloop`` command: serve, demo, migrate, create-user."""

from __future__ import annotations

import asyncio
import gc
import os
import sys
from pathlib import Path

import click

os.environ.setdefault("PICCOLO_CONF", "backend.piccolo_conf")


def _use_data_dir(data_dir: str | None) -> None:
    """Point settings at ``data_dir`` before anything reads them (they are cached)."""
    if data_dir:
        os.environ["HOMELOOP_DATA_DIR"] = str(Path(data_dir).resolve())
        from backend.config import get_settings

        get_settings.cache_clear()


async def run_migrations() -> None:
    """Apply every Piccolo migration that has not run yet (SQLite or PostgreSQL)."""
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from backend.config import get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    result = await run_forwards(app_name="homeloop", migration_id="all", fake=False)
    if not result.success:
        raise click.ClickException(f"migration failed: {result.message}")
    if settings.is_sqlite:
        # WAL is a property of the database file: set it once so every process shares it.
        import sqlite3

        with sqlite3.connect(settings.sqlite_path) as conn:
            conn.execute("PRAGMA journal_mode=WAL")


@click.group(help="HomeLoop: customer experience for home-renovation companies.")
def main() -> None:
    pass


@main.command(help="Apply database migrations (creates the SQLite file when missing).")
@click.option("--data-dir", help="Folder for the SQLite database, media and keys.")
def migrate(data_dir: str | None) -> None:
    _use_data_dir(data_dir)
    asyncio.run(run_migrations())
    click.echo("Database is up to date.")


def _serve(host: str, port: int) -> None:
    import uvicorn

    uvicorn.run("backend.web.app:create_app", factory=True, host=host, port=port,
                proxy_headers=True, log_level="info", access_log=False,
                # Longer than any client's keep-alive expiry (httpx: 5 s), so a client never
                # reuses a connection the server is closing at that very moment.
                timeout_keep_alive=65)


@main.command(help="Serve HomeLoop (portal /portal/, field app /field/, desk /desk/).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--data-dir", help="Folder for the SQLite database, media and keys.")
@click.option("--migrate/--no-migrate", "do_migrate", default=True, show_default=True,
              help="Apply pending migrations first.")
def serve(host: str, port: int, data_dir: str | None, do_migrate: bool) -> None:
    _use_data_dir(data_dir)
    if do_migrate:
        asyncio.run(run_migrations())
    _serve(host, port)


@main.command(help="Migrate, seed the demo company when the database is empty, and serve it.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--data-dir", help="Folder for the SQLite database, media and keys.")
@click.option("--no-serve", is_flag=True, help="Only migrate and seed.")
def demo(host: str, port: int, data_dir: str | None, no_serve: bool) -> None:
    _use_data_dir(data_dir)
    from backend.demo import DEMO_PASSWORD, seed_demo

    async def prepare() -> dict[str, str]:
        await run_migrations()
        from backend.db import get_db

        try:
            return await seed_demo(get_db())
        finally:
            await get_db().close()

    accounts = asyncio.run(prepare())
    click.echo("")
    click.echo("HomeLoop demo company is ready. Sign in with:")
    click.echo(f"  homeowner   http://{host}:{port}/portal/  phone {accounts['homeowner']}"
               "  (the one-time code is printed in this console)")
    click.echo(f"  technician  http://{host}:{port}/field/   {accounts['technician']}"
               f"  password {DEMO_PASSWORD}")
    click.echo(f"  desk agent  http://{host}:{port}/desk/    {accounts['agent']}"
               f"  password {DEMO_PASSWORD}")
    click.echo(f"  admin       http://{host}:{port}/desk/    {accounts['admin']}"
               f"  password {DEMO_PASSWORD}")
    click.echo("")
    if not no_serve:
        _serve(host, port)


@main.command("create-user", help="Create a staff user (admin, manager, technician, ...).")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", required=True,
              type=click.Choice(["admin", "manager", "service_agent", "dispatcher",
                                 "project_manager", "designer", "technician"]))
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="At least 10 characters; prompted when not given.")
@click.option("--data-dir", help="Folder for the SQLite database, media and keys.")
def create_user(email: str, name: str, role: str, password: str, data_dir: str | None) -> None:
    _use_data_dir(data_dir)
    from backend.accounts.staff import create_staff_user
    from backend.db import get_db
    from backend.errors import ValidationFailed
    from backend.i18n import gettext

    async def run() -> None:
        await run_migrations()
        try:
            await create_staff_user(get_db(), email=email, name=name, role=role,
                                    password=password)
        finally:
            await get_db().close()

    try:
        asyncio.run(run())
    except ValidationFailed as exc:
        for field, message in exc.errors.items():
            click.echo(f"{field or 'error'}: {gettext(message, 'en')}", err=True)
        sys.exit(2)
    click.echo(f"Created {role} {email}.")


@main.command(help="Run the event worker (rules, notifications, scheduler) as a process.")
@click.option("--data-dir", help="Folder for the SQLite database, media and keys.")
@click.option("--batch", default=20, show_default=True, type=int, help="Events per claim.")
@click.option("--lease", default=60, show_default=True, type=int,
              help="Seconds a claim lasts before another worker may take it over.")
@click.option("--once", is_flag=True, help="Work until nothing is due, then exit.")
@click.option("--no-scheduler", is_flag=True, help="Leave time-based events to others.")
def worker(data_dir: str | None, batch: int, lease: int, once: bool,
           no_scheduler: bool) -> None:
    _use_data_dir(data_dir)
    from backend.events.worker import run_cli_worker

    asyncio.run(run_cli_worker(batch=batch, lease=lease, once=once,
                               run_scheduler=not no_scheduler))


@main.command("bench-data", help="Load a large generated dataset for benchmarks (bulk).")
@click.option("--scale", default=1.0, show_default=True, type=float,
              help="Multiplies the default sizes (200k customers, 1M tickets, 2M events, "
                   "300k survey answers).")
@click.option("--customers", type=int, help="Number of customers (overrides --scale).")
@click.option("--tickets", type=int, help="Number of tickets.")
@click.option("--events", type=int, help="Number of outbox events.")
@click.option("--surveys", type=int, help="Number of survey answers.")
@click.option("--seed", default=7, show_default=True, type=int)
@click.option("--data-dir", help="Folder for the SQLite database (else DATABASE_URL).")
def bench_data(scale: float, customers: int | None, tickets: int | None, events: int | None,
               surveys: int | None, seed: int, data_dir: str | None) -> None:
    _use_data_dir(data_dir)
    from backend.benchdata import generate, scaled
    from backend.config import get_settings

    sizes = scaled(scale, customers=customers, tickets=tickets, events=events, surveys=surveys)

    asyncio.run(run_migrations())
    # Piccolo's SQLite engine leaves a connection to be collected with its event loop; one
    # still open would keep the bulk load from switching the journal mode off.
    gc.collect()
    loaded = asyncio.run(generate(get_settings().database_url, seed=seed, progress=click.echo,
                                  **sizes))
    for table, count in loaded.items():
        click.echo(f"  {table:<22} {count:>10,}")


if __name__ == "__main__":
    main()
