"""Drop the date lines `pybabel update` rewrites in every catalogue on every run: they carry
no meaning here and would make each branch's catalogues conflict with every other's."""

import re
import sys
from pathlib import Path

DATES = re.compile(r'^"(POT-Creation|PO-Revision)-Date: .*\n', re.M)

for path in Path(sys.argv[1]).glob("*/LC_MESSAGES/messages.po"):
    path.write_text(DATES.sub("", path.read_text(encoding="utf-8")), encoding="utf-8")
