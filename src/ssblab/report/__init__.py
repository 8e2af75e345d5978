"""One self-contained HTML report: a section per result, figures embedded as SVG."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

from ssblab.files import atomic_write
from ssblab.results import Result, figure_to_svg

__all__ = ["Report", "figure_to_svg"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #345; } h2 { color: #345; margin: 0; display: inline; font-size: 1.3em; }
h3 { color: #345; margin: 0; display: inline; font-size: 1.1em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
td, th { border: 1px solid #bbb; padding: 2px 8px; text-align: left; }
.failed { color: #a00; font-weight: bold; } .figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-size: 0.85em; color: #555; }
details.provenance { font-size: 0.8em; color: #555; } pre { white-space: pre-wrap; }
.wide { overflow-x: auto; } .note { background: #ffd; padding: 4px 8px; }
nav.toc { background: #f4f6f8; border: 1px solid #dde; padding: 0.5em 1.5em; margin: 1em 0; }
nav.toc ol { margin: 0.2em 0; } nav.toc li { margin: 0.1em 0; }
details.chapter { border-top: 2px solid #345; margin-top: 1.5em; padding-top: 0.3em; }
details.chapter > summary { cursor: pointer; padding: 0.3em 0; }
details.section { margin: 0.8em 0 0.8em 1em; border-left: 3px solid #cdd5dd; padding-left: 0.8em; }
details.section > summary { cursor: pointer; padding: 0.2em 0; }
.kind-fitted { color: #7a4b00; font-weight: bold; } .kind-predicted { color: #05508a; font-weight: bold; }
.kind-measured { color: #333; font-weight: bold; }
</style></head><body>
<h1>{{ title }}</h1>
{% if intro %}<p>{{ intro }}</p>{% endif %}
{% if skipped %}<p class="note"><strong>First {{ shown }} of {{ shown + skipped
}} sections shown</strong> ({{ skipped }} more, {{ skipped_failed
}} of them failed); every result is in result.json and table.csv.</p>{% endif %}
{% if chapters|length > 1 or chapters[0].sections|length > 3 %}
<nav class="toc"><b>Contents</b> (click a heading to fold or unfold it)<ol>
{% for c in chapters %}{% if c.title %}<li><a href="#{{ c.anchor }}">{{ c.title }}</a><ol>{% endif %}
{% for s in c.sections %}<li><a href="#{{ s.anchor }}">{{ s.heading }}</a>{% if s.failed %} <span class="failed">(failed)</span>{% endif %}</li>{% endfor %}
{% if c.title %}</ol></li>{% endif %}{% endfor %}
</ol></nav>
{% endif %}
{% for c in chapters %}
{% if c.title %}<details class="chapter" id="{{ c.anchor }}" open><summary><h2>{{ c.title }}</h2></summary>
{% if c.text %}<p>{{ c.text }}</p>{% endif %}{% endif %}
{% for s in c.sections %}
<details class="section" id="{{ s.anchor }}" open><summary><h3>{{ s.heading }}</h3></summary>
{% if s.text %}<p>{{ s.text }}</p>{% endif %}
{% if s.failed %}<p class="failed">FAILED: {{ s.failed }}</p>{% endif %}
{% if s.rows %}<table>{% for label, value in s.rows %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>{% endif %}
{% if s.table %}<div class="wide"><table><tr>{% for c in s.table_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in s.table %}<tr>{% for c in s.table_columns %}{% set v = row.get(c, "") %}<td{% if v in ("fitted", "predicted", "measured") %} class="kind-{{ v }}"{% endif %}>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table></div>{% endif %}
{% if s.table_note %}<p class="note"><strong>{{ s.table_note }}</strong></p>{% endif %}
<div class="figures">{% for caption, svg in s.figures %}<figure>{{ svg | safe }}<figcaption>{{ caption }}</figcaption></figure>{% endfor %}</div>
{% if s.provenance %}<details class="provenance"><summary>provenance</summary><pre>{{ s.provenance }}</pre></details>{% endif %}
</details>
{% endfor %}
{% if c.title %}</details>{% endif %}
{% endfor %}
</body></html>
"""


@dataclass
class _Chapter:
    title: str
    anchor: str
    text: str = ""
    sections: list = field(default_factory=list)


@dataclass
class _Section:
    heading: str
    anchor: str = ""
    text: str = ""
    failed: str = ""
    rows: list = field(default_factory=list)
    table: list = field(default_factory=list)
    table_columns: list = field(default_factory=list)
    table_note: str = ""
    figures: list = field(default_factory=list)
    provenance: str = ""


class Report:
    """Collects sections and writes one HTML file.

    Examples
    --------
    >>> from ssblab.results import Result
    >>> report = Report("demo")
    >>> report.add(Result(ok=False, reason="no data"), figures=[])
    >>> "FAILED: no data" in report.to_html()
    True
    """

    def __init__(self, title: str, *, intro: str = "", max_sections: int = 20):
        self.title = title
        self.intro = intro
        self.chapters: list[_Chapter] = [_Chapter(title="", anchor="top")]
        self.max_sections = int(max_sections)
        self.skipped = 0
        self.skipped_failed = 0

    @property
    def full(self) -> bool:
        """True once ``max_sections`` result sections are in: further ones are only counted (a
        batch of 2000 spectra gives a readable report, not 2000 figures; callers skip drawing
        them)."""
        return len(self.sections) >= self.max_sections

    @property
    def sections(self) -> list[_Section]:
        return [s for c in self.chapters for s in c.sections]

    def chapter(self, title: str, *, text: str = "") -> None:
        """Start a chapter: a foldable group of the sections added after it, listed in the
        table of contents."""
        self.chapters.append(_Chapter(title=title, anchor=f"c{len(self.chapters)}", text=text))

    def add(self, result: Result | None = None, *, heading: str | None = None, text: str = "",
            figures: list | None = None, table: bool | list = False, max_rows: int = 200) -> None:
        """Add a section for ``result``.

        ``figures`` is a list of ``(caption, matplotlib Figure)``; None draws ``result.plot()``.
        ``table=True`` adds the result's :meth:`~ssblab.results.Result.table` rows (the first
        ``max_rows``, with a visible "first N of M" note when there are more); a list of dicts
        adds those rows instead (cells reading "fitted", "predicted" or "measured" are
        highlighted). Past ``max_sections`` sections are counted, not rendered, and the report
        says so on top.
        """
        import json

        if self.full:
            import matplotlib.pyplot as plt

            for _, fig in figures or []:
                plt.close(fig)
            self.skipped += 1
            self.skipped_failed += int(result is not None and not result.ok)
            return
        section = _Section(heading=heading or (result.title if result is not None else ""), text=text,
                           anchor=f"s{len(self.sections) + 1}")
        if isinstance(table, list):
            rows = [{k: _cell(v, k) for k, v in row.items()} for row in table[:max_rows]]
            section.table = rows
            section.table_columns = list(dict.fromkeys(k for r in rows for k in r))
            table = False
        if result is not None:
            section.failed = "" if result.ok else result.reason
            section.rows = [(label, _cell(value, label)) for label, value in result.summary()]
            if table:
                all_rows = result.table()
                rows = [{k: _cell(v, k) for k, v in row.items()} for row in all_rows[:max_rows]]
                section.table = rows
                section.table_columns = list(dict.fromkeys(k for r in rows for k in r))
                if len(all_rows) > max_rows:
                    section.table_note = (f"First {max_rows} of {len(all_rows)} rows shown; "
                                          "the full table is in table.csv.")
            if result.provenance:
                section.provenance = json.dumps(result.provenance, indent=1, default=str)
            if figures is None and result.ok:
                figures = [(result.title, result.plot().figure)]
        section.figures = [(caption, figure_to_svg(fig)) for caption, fig in (figures or [])]
        self.chapters[-1].sections.append(section)

    def to_html(self) -> str:
        import jinja2

        env = jinja2.Environment(autoescape=True)
        chapters = [c for c in self.chapters if c.sections or c.title]
        return env.from_string(_TEMPLATE).render(
            title=self.title, intro=self.intro, chapters=chapters or self.chapters[:1],
            shown=len(self.sections), skipped=self.skipped, skipped_failed=self.skipped_failed)

    def write(self, path: str | Path) -> Path:
        return atomic_write(path, self.to_html())


def _cell(value, label: str = "") -> str:
    """Floats to 4 significant digits for reading, file sources by their name; result.json and
    table.csv keep full precision and full paths."""
    if isinstance(value, float):
        return f"{value:.4g}"
    text = html.unescape(str(value))
    if label.startswith("source") and ("/" in text or "\\" in text):
        return Path(text.split(" [")[0]).name + (" [" + text.split(" [", 1)[1]
                                                 if " [" in text else "")
    return text
