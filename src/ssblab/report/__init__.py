"""One self-contained HTML report: a section per result, figures embedded as SVG."""

from __future__ import annotations

import html
import io
from dataclasses import dataclass, field
from pathlib import Path

from ssblab.files import atomic_write
from ssblab.results import Result

__all__ = ["Report", "figure_to_svg"]

_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
h1 { border-bottom: 2px solid #345; } h2 { color: #345; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; font-size: 0.9em; }
td, th { border: 1px solid #bbb; padding: 2px 8px; text-align: left; }
.failed { color: #a00; font-weight: bold; } .figures { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0; } figcaption { font-size: 0.85em; color: #555; }
details { font-size: 0.8em; color: #555; } pre { white-space: pre-wrap; }
.wide { overflow-x: auto; } .note { background: #ffd; padding: 4px 8px; }
</style></head><body>
<h1>{{ title }}</h1>
{% if intro %}<p>{{ intro }}</p>{% endif %}
{% if skipped %}<p class="note"><strong>First {{ sections | length }} of {{ sections | length + skipped
}} sections shown</strong> ({{ skipped }} more, {{ skipped_failed
}} of them failed); every result is in result.json and table.csv.</p>{% endif %}
{% for s in sections %}
<section><h2>{{ s.heading }}</h2>
{% if s.text %}<p>{{ s.text }}</p>{% endif %}
{% if s.failed %}<p class="failed">FAILED: {{ s.failed }}</p>{% endif %}
{% if s.rows %}<table>{% for label, value in s.rows %}
<tr><th>{{ label }}</th><td>{{ value }}</td></tr>{% endfor %}</table>{% endif %}
{% if s.table_note %}<p class="note"><strong>{{ s.table_note }}</strong></p>{% endif %}
{% if s.table %}<div class="wide"><table><tr>{% for c in s.table_columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in s.table %}<tr>{% for c in s.table_columns %}<td>{{ row.get(c, "") }}</td>{% endfor %}</tr>
{% endfor %}</table></div>{% endif %}
<div class="figures">{% for caption, svg in s.figures %}
<figure>{{ svg | safe }}<figcaption>{{ caption }}</figcaption></figure>{% endfor %}</div>
{% if s.provenance %}<details><summary>provenance</summary><pre>{{ s.provenance }}</pre></details>{% endif %}
</section>
{% endfor %}
</body></html>
"""


def figure_to_svg(fig) -> str:
    """Render a matplotlib figure to an SVG string and close it."""
    import matplotlib.pyplot as plt

    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    plt.close(fig)
    text = buffer.getvalue()
    return text[text.find("<svg"):]


@dataclass
class _Section:
    heading: str
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
        self.sections: list[_Section] = []
        self.max_sections = int(max_sections)
        self.skipped = 0
        self.skipped_failed = 0

    @property
    def full(self) -> bool:
        """True once ``max_sections`` sections are in: further ones are only counted (a batch of
        2000 spectra gives a readable report, not 2000 figures; callers skip drawing them)."""
        return len(self.sections) >= self.max_sections

    def add(self, result: Result | None = None, *, heading: str | None = None, text: str = "",
            figures: list | None = None, table: bool = False, max_rows: int = 200) -> None:
        """Add a section for ``result``.

        ``figures`` is a list of ``(caption, matplotlib Figure)``; None draws ``result.plot()``.
        ``table=True`` adds the result's :meth:`~ssblab.results.Result.table` rows (the first
        ``max_rows``, with a visible "first N of M" note when there are more). Past
        ``max_sections`` sections are counted, not rendered, and the report says so on top.
        """
        import json

        if self.full:
            import matplotlib.pyplot as plt

            for _, fig in figures or []:
                plt.close(fig)
            self.skipped += 1
            self.skipped_failed += int(result is not None and not result.ok)
            return
        section = _Section(heading=heading or (result.title if result is not None else ""), text=text)
        if result is not None:
            section.failed = "" if result.ok else result.reason
            section.rows = [(label, _cell(value)) for label, value in result.summary()]
            if table:
                all_rows = result.table()
                rows = [{k: _cell(v) for k, v in row.items()} for row in all_rows[:max_rows]]
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
        self.sections.append(section)

    def to_html(self) -> str:
        import jinja2

        env = jinja2.Environment(autoescape=True)
        return env.from_string(_TEMPLATE).render(
            title=self.title, intro=self.intro, sections=self.sections, skipped=self.skipped,
            skipped_failed=self.skipped_failed)

    def write(self, path: str | Path) -> Path:
        return atomic_write(path, self.to_html())


def _cell(value) -> str:
    """Floats to 4 significant digits for reading; result.json and table.csv keep full precision."""
    return f"{value:.4g}" if isinstance(value, float) else html.unescape(str(value))
