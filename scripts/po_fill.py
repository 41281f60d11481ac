"""Fill translations into a catalogue from a Python file of {msgid: translation}.

    .venv/bin/python scripts/po_fill.py tr my_strings.py   # then `make i18n` (compiles)

The file defines `T = {"Sign in": "Giriş yap", ("%(num)s lead", "%(num)s leads"): ("…", "…")}`;
plural entries take a tuple of forms. Entries already translated are left alone unless the
file says otherwise; fuzzy marks are cleared on the entries it fills."""

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]


def main(language: str, source: str) -> None:
    table = runpy.run_path(source)["T"]
    path = ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        catalog = read_po(file, locale=language)
    filled = 0
    for message in catalog:
        key = message.id
        if key in table:
            value = table[key]
            message.string = tuple(value) if isinstance(key, tuple) else value
            message.flags.discard("fuzzy")
            filled += 1
    with path.open("wb") as file:
        write_po(file, catalog, width=0, omit_header=False, sort_output=True)
    print(f"{language}: filled {filled} of {len(table)} entries")


if __name__ == "__main__":
    main(*sys.argv[1:3])
