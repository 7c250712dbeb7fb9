"""Merge the zh-CN translation tables (scripts/translations/*.py, each defining ``ZH``) into
the zh_CN catalog. ``make messages`` runs it after extracting, so the tables are the source
of truth and the catalog can always be rebuilt; one table per area keeps edits apart.
Usage: python scripts/merge_translations.py [table.py ...]   (default: every table)
"""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

TABLES = Path(__file__).resolve().parent / "translations"
PO = Path(__file__).resolve().parent.parent / "backend/locale/zh_CN/LC_MESSAGES/messages.po"


def main() -> None:
    paths = sys.argv[1:] or sorted(str(p) for p in TABLES.glob("*.py"))
    table: dict[str, str] = {}
    for path in paths:
        table.update(runpy.run_path(path)["ZH"])
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    filled = 0
    for message in catalog:
        if message.id and message.id in table:
            message.string = table[message.id]
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as fh:
        write_po(fh, catalog, omit_header=False, width=0, no_location=True)
    missing = [m.id for m in catalog if m.id and not m.string]
    print(f"filled {filled}; still untranslated: {len(missing)}")
    for msgid in missing:
        print("  ", repr(msgid))


if __name__ == "__main__":
    main()
