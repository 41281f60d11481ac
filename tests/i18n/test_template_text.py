"""No visible English outside `_()` / `{% trans %}` in app/templates, and none in static/js.

A small tokeniser: Jinja comments, `{% trans %}` blocks and every `{{ … }}` / `{% … %}` are
replaced by a placeholder, then Python's HTML parser reports the text nodes and the attributes
people read (title, placeholder, aria-label, alt, button values). Any letter left there is a
string nobody will translate, unless the allow-list below names it (brand names, symbols)."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "app" / "templates"
SCRIPTS = ROOT / "static" / "js"
ALLOWED = ("MSH Med Tour", "Facebook", "Instagram", "WhatsApp")
VISIBLE_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "label"}
HOLE = "\x00"

COMMENT = re.compile(r"\{#.*?#\}", re.S)
TRANS = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
LETTER = re.compile(r"[^\W\d_]")


def without_jinja(source: str) -> str:
    for pattern in (COMMENT, TRANS, JINJA):
        source = pattern.sub(HOLE, source)
    return source


def untranslated(text: str) -> str | None:
    for allowed in ALLOWED:
        text = text.replace(allowed, "")
    text = " ".join(text.replace(HOLE, " ").split())
    return text if LETTER.search(text) else None


class TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self.in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_script = tag in ("script", "style")
        is_button = tag == "input" and dict(attrs).get("type") in ("submit", "button")
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or (is_button and name == "value")):
                self.report(f"{tag}[{name}]", value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.in_script = False

    def handle_data(self, data: str) -> None:
        if not self.in_script:
            self.report("text", data)

    def report(self, where: str, text: str) -> None:
        if (bad := untranslated(text)) is not None:
            self.found.append(f"{where}: {bad!r}")


def visible_english(path: Path) -> list[str]:
    source = without_jinja(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":  # an email: every line is read
        return [f"text: {bad!r}" for line in source.splitlines() if (bad := untranslated(line))]
    finder = TextFinder()
    finder.feed(source)
    finder.close()
    return finder.found


TEMPLATE_FILES = sorted(p for p in TEMPLATES.rglob("*") if p.suffix in (".html", ".txt"))


@pytest.mark.parametrize("path", TEMPLATE_FILES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_template_shows_no_untranslated_text(path):
    assert visible_english(path) == []


def test_the_lint_finds_untranslated_text(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(
        '{# fine #}<p>{{ _("Fine") }} · {{ lead.name }}</p><p>Not fine</p>'
        '{% trans %}Fine too{% endtrans %}<input title="Hover me" value="x">'
        "<span>Facebook</span><script>const a = 'ignored';</script>"
        "<button aria-label=\"{{ _('Fine') }}\">Click</button>"
    )
    assert visible_english(page) == [
        "text: 'Not fine'",
        "input[title]: 'Hover me'",
        "text: 'Click'",
    ]


# --- static/js: no English string of its own --------------------------------------------------

STRING = re.compile(r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`")
LINE_COMMENT = re.compile(r"(^|[^:\\])//[^\n]*")
# Words that appear in the scripts' strings as CSS classes, selectors, event names, URLs.
CODE_WORDS = {
    "badge",
    "rounded",
    "pill",
    "text",
    "bg",
    "success",
    "secondary",
    "warning",
    "table",
    "tbody",
    "html",
    "none",
    "row",
    "websocket",
    "polling",
    "same",
    "origin",
    "bar",
}


def english_strings(source: str) -> list[str]:
    source = LINE_COMMENT.sub(r"\1", source)
    found = []
    for literal in STRING.findall(source):
        if re.match(r"[#.\[]", literal[1:]) or "[" in literal:
            continue  # a CSS selector
        words = re.findall(r"[A-Za-z]{2,}", re.sub(r"\$\{[^}]*\}", " ", literal[1:-1]))
        prose = [w for w in words if w.lower() not in CODE_WORDS]
        # Prose has spaces between words, or ends a sentence; selectors and keys do not.
        if prose and re.search(r"[A-Za-z]{2,} [A-Za-z]{2,}|[A-Za-z][.!?]$", literal[1:-1]):
            found.append(literal)
    return found


@pytest.mark.parametrize("path", sorted(SCRIPTS.glob("*.js")), ids=lambda p: p.name)
def test_script_has_no_english_of_its_own(path):
    assert english_strings(path.read_text(encoding="utf-8")) == []


def test_the_script_lint_finds_english():
    source = (
        'const a = "1 new lead arrived."; // "a comment, fine"\n'
        'el.className = "badge text-bg-success";\n'
        "const b = `${n} new leads`; const c = document.querySelector('#lead-rows tr');\n"
    )
    assert english_strings(source) == ['"1 new lead arrived."', "`${n} new leads`"]
