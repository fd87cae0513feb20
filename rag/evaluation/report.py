"""Show an :class:`EvalResult` to people: terminal tables, Markdown, a one-file HTML page.

The HTML page carries everything inline (styles and SVG charts), so it can be
mailed or attached as it is.

>>> print(format_summary(result))                  # doctest: +SKIP
>>> write_report(result, Path("eval.html"))        # doctest: +SKIP
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .runner import EvalResult, QuestionRecord, RetrieverRun

REPORT_SUFFIXES = (".html", ".md", ".json")

# Rows of the main table, grouped under headings: (key, label).
SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "Retrieval (articles, answerable questions)",
        (
            ("recall@1", "Recall@1"),
            ("recall@3", "Recall@3"),
            ("recall@5", "Recall@5"),
            ("recall@10", "Recall@10"),
            ("mrr@10", "MRR@10"),
            ("ndcg@10", "nDCG@10"),
        ),
    ),
    (
        "Passages (answer text among the hits)",
        (("hit@1", "Hit@1"), ("hit@5", "Hit@5")),
    ),
    (
        "Answers",
        (
            ("answer_accuracy", "Correct answer"),
            ("abstain_rate_unanswerable", "Abstains, unanswerable"),
            ("false_abstain_rate", "Abstains, answerable"),
        ),
    ),
    (
        "Latency per question",
        (("latency_p50_ms", "p50 (ms)"), ("latency_p95_ms", "p95 (ms)")),
    ),
)
# Bars of the main chart: rates between 0 and 1 where higher is better.
CHART_METRICS = (
    ("recall@1", "Recall@1"),
    ("recall@5", "Recall@5"),
    ("mrr@10", "MRR@10"),
    ("ndcg@10", "nDCG@10"),
    ("hit@5", "Hit@5"),
    ("answer_accuracy", "Correct answer"),
    ("abstain_rate_unanswerable", "Abstains, unanswerable"),
)
SYNTHETIC_NOTE = (
    "These questions are synthetic: made from the articles' own headlines and lead "
    "sentences, not written by people. They show how often an article is found from its own "
    "words; they do not measure answers to real questions. They carry no expected answer "
    "text, so a correct answer only means one that cites the right article."
)
# One colour per retriever, in the order they were run.
_COLOURS = ("#2563eb", "#ea7c1e", "#16a34a", "#9333ea", "#dc2626")
_DASH = "–"


# --------------------------------------------------------------------- values


def format_value(key: str, value: float | int | None) -> str:
    """How a metric value is printed: rates with 3 decimals, milliseconds with 1.

    >>> format_value("recall@1", 0.8), format_value("latency_p50_ms", 41.25)
    ('0.800', '41.2')
    """
    if value is None:
        return _DASH
    if key.endswith("_ms"):
        return f"{value:.1f}"
    if isinstance(value, int):
        return str(value)
    return f"{value:.3f}"


def correct_reply_rate(metrics: dict[str, Any]) -> float | None:
    """Share of replies that were right: a correct answer, or an abstention when none exists."""
    answered, unanswerable = metrics["answerable"], metrics["unanswerable"]
    total = answered + unanswerable
    if not total:
        return None
    right = (metrics["answer_accuracy"] or 0.0) * answered
    right += (metrics["abstain_rate_unanswerable"] or 0.0) * unanswerable
    return float(right / total)


def abstained_rate(metrics: dict[str, Any]) -> float | None:
    """Share of all questions that got an abstention, whether or not they had an answer."""
    answered, unanswerable = metrics["answerable"], metrics["unanswerable"]
    total = answered + unanswerable
    if not total:
        return None
    count = (metrics["false_abstain_rate"] or 0.0) * answered
    count += (metrics["abstain_rate_unanswerable"] or 0.0) * unanswerable
    return float(count / total)


def _kinds(result: EvalResult) -> list[str]:
    return list(dict.fromkeys(k for run in result.runs for k in run.metrics["by_kind"]))


# Rows of the per-kind tables: (label, value of a by_kind block). "Right replies"
# is left out: within one kind it repeats "Correct answer" or "Abstained".
KIND_ROWS: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("Right article first", lambda mt: mt["recall@1"]),
    ("MRR@10", lambda mt: mt["mrr@10"]),
    ("Correct answer", lambda mt: mt["answer_accuracy"]),
    ("Abstained", abstained_rate),
)


@dataclass(frozen=True)
class Row:
    """One line of a table: a label and one value per retriever."""

    label: str
    key: str  # the metric key: "_ms" keys print as milliseconds
    values: tuple[float | int | None, ...]
    better: str | None = "higher"  # "higher", "lower", or None: no value is best

    def cells(self) -> list[str]:
        return [format_value(self.key, v) for v in self.values]


Section = tuple[str, list[Row]]


def metric_sections(result: EvalResult) -> list[Section]:
    """The main table: metrics grouped under headings, one value per retriever."""
    return [
        (
            heading,
            [
                Row(label, key, tuple(r.metrics[key] for r in result.runs), _better(key))
                for key, label in keys
            ],
        )
        for heading, keys in SECTIONS
    ]


def _better(key: str) -> str:
    return "lower" if key.endswith("_ms") or key == "false_abstain_rate" else "higher"


def kind_sections(result: EvalResult) -> list[Section]:
    """One section per question kind; rows that apply to no retriever are left out."""
    sections: list[Section] = []
    for kind in _kinds(result):
        blocks = [run.metrics["by_kind"].get(kind) for run in result.runs]
        n = next(b["questions"] for b in blocks if b)
        first = next(b for b in blocks if b)
        # Abstaining is right for a kind without answers, wrong for one with them.
        abstain_better = (
            "higher" if not first["answerable"] else "lower" if not first["unanswerable"] else None
        )
        rows = [
            Row(
                label,
                label,
                tuple(fn(b) if b else None for b in blocks),
                abstain_better if label == "Abstained" else "higher",
            )
            for label, fn in KIND_ROWS
        ]
        rows = [row for row in rows if any(v is not None for v in row.values)]
        sections.append((f"{kind} ({n} question{'s' if n != 1 else ''})", rows))
    return sections


def best_columns(row: Row) -> set[int]:
    """Columns holding the best value of a row, when the retrievers differ at all."""
    present = [(v, i) for i, v in enumerate(row.values) if v is not None]
    if row.better is None or len({format_value(row.key, v) for v, _ in present}) < 2:
        return set()
    target = min(present)[0] if row.better == "lower" else max(present)[0]
    return {i for v, i in present if v == target}


# ------------------------------------------------------------------ terminal


def _headline(result: EvalResult) -> str:
    first = result.runs[0].metrics
    return (
        f"{first['questions']} questions ({first['answerable']} answerable, "
        f"{first['unanswerable']} unanswerable), {_retrievers_phrase(result)}, "
        f"{max(result.k, 10)} hits each"
    )


def _retrievers_phrase(result: EvalResult) -> str:
    names = result.retrievers
    return f"retriever {names[0]}" if len(names) == 1 else "retrievers " + ", ".join(names)


def _text_table(title: str, names: Sequence[str], sections: Sequence[Section]) -> str:
    """Headings flush left, labels indented, one right-aligned column per retriever."""
    rows: list[list[str]] = [[title, *names]]
    headings: dict[int, str] = {}
    for heading, section_rows in sections:
        headings[len(rows)] = heading
        rows += [["  " + row.label, *row.cells()] for row in section_rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        if i in headings:
            lines.append(headings[i])
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def format_metrics_table(result: EvalResult) -> str:
    """Metrics as rows, one column per retriever, grouped under plain headings."""
    return _text_table("Metrics", result.retrievers, metric_sections(result))


def format_kind_table(result: EvalResult) -> str:
    """The headline metrics of each question kind, one column per retriever."""
    return _text_table("By question kind", result.retrievers, kind_sections(result))


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def failure_fields(record: QuestionRecord) -> dict[str, str]:
    """What a person needs to see about a failed question, as short strings.

    ``first`` is the article of the first hit; ``where`` says where the expected
    one was when it was not first.
    """
    item = record.item
    ranking = record.ranking
    where = ""
    if item.answerable and record.first_article not in item.article_ids:
        positions = [ranking.index(a) + 1 for a in item.article_ids if a in ranking]
        where = f"expected at {min(positions)}" if positions else "expected not retrieved"
    return {
        "id": item.id,
        "kind": item.kind,
        "question": item.question,
        "expected": ", ".join(item.article_ids) or "none, should abstain",
        "answers": " or ".join(f"“{a}”" for a in item.answers),
        "first": record.first_article or "no hits",
        "where": where,
        # The abstention message is always the same; saying so is enough.
        "answer": "(abstained)" if record.abstained else record.answer,
        "why": "; ".join(record.problems()),
    }


def format_failures(result: EvalResult, limit: int | None = 20) -> str:
    """Questions failed by at least one retriever, each once, with what every retriever did."""
    runs = result.runs
    records = [run.questions for run in runs]
    failed = [i for i in range(len(records[0])) if any(recs[i].problems() for recs in records)]
    width = max(len(name) for name in result.retrievers) + 1
    lines = [f"Failed questions: {len(failed)} of {len(records[0])}"]
    if len(runs) > 1:
        lines[0] += " (failed with at least one retriever)"
    shown = failed if limit is None else failed[:limit]
    for i in shown:
        head = failure_fields(records[0][i])
        lines.append(f"  {head['id']} [{head['kind']}] {_one_line(head['question'], 110)}")
        answers = f", answer {head['answers']}" if head["answers"] else ""
        lines.append(f"      {'expected:'.ljust(width + 1)} {head['expected']}{answers}")
        for run in runs:
            record = run.questions[i]
            label = f"{run.retriever}:".ljust(width + 1)
            if not record.problems():
                lines.append(f"      {label} passed")
                continue
            f = failure_fields(record)
            where = f" ({f['where']})" if f["where"] else ""
            lines.append(f"      {label} first {f['first']}{where}; {f['why']}")
            if not record.abstained:
                lines.append(f"      {'':{width + 1}} answer: {_one_line(f['answer'], 100)}")
    if len(shown) < len(failed):
        lines.append(f"  … and {len(failed) - len(shown)} more (a report lists them all)")
    return "\n".join(lines)


def format_summary(result: EvalResult, *, failures: int | None = 20) -> str:
    """Everything for the terminal: headline, metrics, per-kind table, failed questions.

    ``failures`` caps the failed questions listed (``0``: none, ``None``: all).
    """
    parts = [f"Evaluation: {_headline(result)}"]
    if result.synthetic:
        parts[0] += "\n" + SYNTHETIC_NOTE
    parts += [format_metrics_table(result), format_kind_table(result)]
    if failures != 0:
        parts.append(format_failures(result, failures))
    return "\n\n".join(parts) + "\n"


# ------------------------------------------------------------------ markdown


def _md_table(rows: Sequence[Sequence[str]], numeric_from: int = 1) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    head, *body = rows
    align = ["---" if i < numeric_from else "---:" for i in range(len(head))]
    lines = ["| " + " | ".join(map(esc, head)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in body]
    return "\n".join(lines)


def _md_sections(names: Sequence[str], sections: Sequence[Section]) -> str:
    rows: list[list[str]] = [["", *names]]
    for heading, section_rows in sections:
        rows.append([f"**{heading}**", *([""] * len(names))])
        for row in section_rows:
            best = best_columns(row)
            cells = [f"**{c}**" if i in best else c for i, c in enumerate(row.cells())]
            rows.append([row.label, *cells])
    return _md_table(rows)


def to_markdown(result: EvalResult) -> str:
    """The report as Markdown tables."""
    out = ["# Evaluation report", "", _headline(result) + "."]
    if result.synthetic:
        out += ["", f"> {SYNTHETIC_NOTE}"]
    out += ["", "## Metrics", "", _md_sections(result.retrievers, metric_sections(result))]
    out += ["", "## By question kind", "", _md_sections(result.retrievers, kind_sections(result))]
    out += ["", "## Failed questions"]
    for run in result.runs:
        failed = run.failures()
        out += ["", f"### {run.retriever}: {len(failed)} of {len(run.questions)}", ""]
        if not failed:
            out.append("None.")
            continue
        columns = ["id", "kind", "question", "expected", "answers", "first", "answer", "why"]
        rows = [columns]
        for record in failed:
            f = failure_fields(record)
            if f["where"]:
                f["first"] += f" ({f['where']})"
            rows.append([_one_line(f[c], 200) for c in columns])
        out.append(_md_table(rows, numeric_from=len(columns)))
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------- html


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def bar_chart_svg(
    groups: Sequence[str],
    series: Sequence[str],
    values: Sequence[Sequence[float | None]],
    *,
    title: str,
    width: int = 1000,
    height: int = 290,
) -> str:
    """Grouped vertical bars on a 0–1 scale; ``values[g][s]`` is series ``s`` in group ``g``.

    A missing value (``None``) leaves a dash where its bar would be.
    """
    left, right, top, bottom = 40, 8, 22, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    group_w = plot_w / max(len(groups), 1)
    gap = min(18.0, group_w * 0.2)
    bar_w = min(46.0, (group_w - gap) / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{_esc(title)}">',
        f"<title>{_esc(title)}</title>",
    ]
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'class="{"axis" if tick == 0 else "grid"}"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">{tick:g}</text>'
        )
    for g, group in enumerate(groups):
        x0 = left + g * group_w + (group_w - bar_w * len(series)) / 2
        for s, name in enumerate(series):
            value = values[g][s]
            x = x0 + s * bar_w
            cx = x + bar_w / 2
            if value is None:
                parts.append(
                    f'<text x="{cx:.1f}" y="{top + plot_h - 4:.1f}" class="na" '
                    f'text-anchor="middle">{_DASH}</text>'
                )
                continue
            h = max(plot_h * min(max(value, 0.0), 1.0), 0.0)
            y = top + plot_h - h
            parts.append(
                f'<rect x="{x + 1.5:.1f}" y="{y:.1f}" width="{bar_w - 3:.1f}" height="{h:.1f}" '
                f'rx="2" fill="{_colour(s)}">'
                f"<title>{_esc(name)} · {_esc(group)}: {value:.3f}</title></rect>"
            )
            label = f"{value:.2f}".lstrip("0") if value < 1 else "1"
            parts.append(
                f'<text x="{cx:.1f}" y="{y - 4:.1f}" class="val" text-anchor="middle">'
                f"{label}</text>"
            )
        gx = left + (g + 0.5) * group_w
        lines = "".join(
            f'<tspan x="{gx:.1f}" dy="{0 if n == 0 else 15}">{_esc(line)}</tspan>'
            for n, line in enumerate(_wrap_label(group, group_w))
        )
        parts.append(
            f'<text x="{gx:.1f}" y="{top + plot_h + 18:.1f}" class="group" '
            f'text-anchor="middle">{lines}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _wrap_label(label: str, room: float) -> list[str]:
    """One line, or two split at the space nearest the middle when it would not fit."""
    # About 7 px a character at the chart's label size.
    if len(label) * 7 <= room - 6 or " " not in label:
        return [label]
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(label) / 2))
    return [label[:cut], label[cut + 1 :]]


def latency_svg(result: EvalResult, *, width: int = 1000) -> str:
    """Horizontal bars of p50 and p95 latency per retriever, on a shared millisecond scale."""
    rows = [
        (run.retriever, s, run.metrics[f"latency_{p}_ms"], p)
        for s, run in enumerate(result.runs)
        for p in ("p50", "p95")
    ]
    top_ms = max((v for _, _, v, _ in rows if v is not None), default=0.0) or 1.0
    label_w, row_h, pad = 120, 22, 6
    plot_w = width - label_w - 70
    height = len(rows) * row_h + 2 * pad
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="Latency per question">'
    ]
    for i, (name, s, value, p) in enumerate(rows):
        y = pad + i * row_h
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 15}" class="group" text-anchor="end">'
            f"{_esc(name)} {p}</text>"
        )
        if value is None:
            continue
        w = plot_w * value / top_ms
        opacity = "1" if p == "p50" else "0.55"
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" rx="2" '
            f'fill="{_colour(s)}" fill-opacity="{opacity}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="val">'
            f"{format_value('_ms', value)} ms</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(result: EvalResult) -> str:
    if len(result.runs) < 2:
        return ""
    items = "".join(
        f'<span><i style="background:{_colour(s)}"></i>{_esc(name)}</span>'
        for s, name in enumerate(result.retrievers)
    )
    return f'<div class="legend">{items}</div>'


def _html_sections(names: Sequence[str], sections: Sequence[Section]) -> str:
    """A table of sections: a heading row each, then its rows; the best value in bold."""
    out = ['<table class="num sections">', "<tr><th></th>"]
    out += [f"<th>{_esc(name)}</th>" for name in names]
    out.append("</tr>")
    for heading, rows in sections:
        out.append(f'<tr class="heading"><td colspan="{len(names) + 1}">{_esc(heading)}</td></tr>')
        for row in rows:
            best = best_columns(row)
            cells = "".join(
                f"<td><b>{c}</b></td>" if i in best else f"<td>{c}</td>"
                for i, c in enumerate(row.cells())
            )
            out.append(f"<tr><td>{_esc(row.label)}</td>{cells}</tr>")
    out.append("</table>")
    return "".join(out)


def _html_failures(result: EvalResult) -> str:
    """One collapsible table of failed questions per retriever, the first one open."""
    blocks = []
    for s, run in enumerate(result.runs):
        failed = run.failures()
        summary = (
            f'<summary><i style="background:{_colour(s)}"></i>'
            f"{_esc(run.retriever)}: {len(failed)} of {len(run.questions)} failed</summary>"
        )
        if not failed:
            blocks.append(
                f'<details>{summary}<p class="muted">Every question passed.</p></details>'
            )
            continue
        rows = ["<tr><th>question</th><th>expected</th><th>came first</th>"
                "<th>answer given</th><th>why</th></tr>"]  # fmt: skip
        for record in failed:
            f = failure_fields(record)
            expected = (
                f"<code>{_esc(f['expected'])}</code>"
                if record.item.answerable
                else f'<span class="muted">{_esc(f["expected"])}</span>'
            )
            where = f'<span class="qid">{_esc(f["where"])}</span>' if f["where"] else ""
            answer = (
                '<span class="muted">abstained</span>'
                if record.abstained
                else _esc(_one_line(f["answer"], 280))
            )
            if f["answers"]:
                expected += f'<span class="qid">{_esc(f["answers"])}</span>'
            rows.append(
                f'<tr><td><span class="qid">{_esc(f["id"])} · {_esc(f["kind"])}</span>'
                f"{_esc(f['question'])}</td><td>{expected}</td>"
                f"<td><code>{_esc(f['first'])}</code>{where}</td>"
                f"<td>{answer}</td><td>{_esc(f['why'])}</td></tr>"
            )
        opened = " open" if s == 0 else ""
        table = f'<table class="failures">{"".join(rows)}</table>'
        blocks.append(f"<details{opened}>{summary}{table}</details>")
    return "".join(blocks)


def to_html(result: EvalResult) -> str:
    """The report as one self-contained HTML page with inline SVG charts."""
    names = result.retrievers
    kinds = _kinds(result)
    # A metric no question applies to (no unanswerable question, no answer text) has no bar.
    shown = [
        (key, label)
        for key, label in CHART_METRICS
        if any(run.metrics[key] is not None for run in result.runs)
    ]
    main_chart = bar_chart_svg(
        [label for _, label in shown],
        names,
        [[run.metrics[key] for run in result.runs] for key, _ in shown],
        title="Main metrics per retriever",
    )
    kind_charts = [
        bar_chart_svg(
            kinds,
            names,
            [[_kind_value(run, kind, fn) for run in result.runs] for kind in kinds],
            title=title,
            height=250,
        )
        for title, fn in (
            ("Right article first, by question kind", lambda mt: mt["recall@1"]),
            ("Right replies, by question kind", correct_reply_rate),
        )
    ]
    synthetic = f'<p class="note">{_esc(SYNTHETIC_NOTE)}</p>' if result.synthetic else ""
    return _PAGE.format(
        css=_CSS,
        headline=_esc(_headline(result)),
        synthetic=synthetic,
        cards=_cards(result),
        legend=_legend(result),
        main_chart=main_chart,
        latency=latency_svg(result),
        kind_r1=kind_charts[0],
        kind_right=kind_charts[1],
        metrics_table=_html_sections(names, metric_sections(result)),
        kind_table=_html_sections(names, kind_sections(result)),
        failures=_html_failures(result),
    )


def _kind_value(
    run: RetrieverRun, kind: str, fn: Callable[[dict[str, Any]], float | None]
) -> float | None:
    block = run.metrics["by_kind"].get(kind)
    return fn(block) if block else None


def _colour(series: int) -> str:
    return _COLOURS[series % len(_COLOURS)]


def _cards(result: EvalResult) -> str:
    """Three headline numbers for each retriever."""
    cards = []
    for s, run in enumerate(result.runs):
        mt = run.metrics
        stats = [
            ("Right article first", mt["recall@1"]),
            ("Correct answer", mt["answer_accuracy"]),
            ("Right replies", correct_reply_rate(mt)),
        ]
        cells = "".join(
            f'<div><span class="big">{_DASH if v is None else f"{v:.0%}"}</span>'
            f'<span class="small">{_esc(label)}</span></div>'
            for label, v in stats
        )
        cards.append(
            f'<div class="card" style="border-top-color:{_colour(s)}">'
            f'<div class="name">{_esc(run.retriever)}</div><div class="stats">{cells}</div></div>'
        )
    return f'<div class="cards">{"".join(cards)}</div>'


_CSS = """
:root { --ink:#1f2937; --muted:#6b7280; --line:#e5e7eb; --soft:#f8fafc; }
* { box-sizing: border-box; }
body { margin: 0; background: #fff; color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 36px 32px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 40px 0 10px; padding-bottom: 6px;
  border-bottom: 1px solid var(--line); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub, .muted { color: var(--muted); }
.note { background: #fff7ed; border: 1px solid #fed7aa; color: #9a3412; padding: 10px 14px;
  border-radius: 8px; }
.cards { display: flex; gap: 16px; flex-wrap: wrap; margin: 22px 0 4px; }
.card { flex: 1 1 300px; border: 1px solid var(--line); border-top: 4px solid; border-radius: 10px;
  padding: 12px 16px 14px; background: var(--soft); }
.card .name { font-weight: 600; margin-bottom: 6px; }
.card .stats { display: flex; gap: 18px; }
.card .big { display: block; font-size: 28px; font-weight: 650;
  font-variant-numeric: tabular-nums; }
.card .small { display: block; font-size: 12px; color: var(--muted); }
.legend { display: flex; gap: 18px; font-size: 13px; margin: 4px 0 2px; }
.legend i, summary i { display: inline-block; width: 11px; height: 11px; border-radius: 2px;
  margin-right: 6px; vertical-align: -1px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #eef0f3; } svg .axis { stroke: #9ca3af; }
svg text { font-family: inherit; fill: var(--ink); }
svg .tick { font-size: 11px; fill: var(--muted); } svg .val { font-size: 11px; }
svg .group { font-size: 12.5px; } svg .na { font-size: 12px; fill: var(--muted); }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; text-transform: uppercase;
  letter-spacing: .03em; }
table.num td:not(:first-child), table.num th:not(:first-child) { text-align: right;
  font-variant-numeric: tabular-nums; }
table.sections td:first-child { padding-left: 22px; }
table.sections tr.heading td { padding: 14px 10px 6px; font-weight: 600; }
details { margin: 10px 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
table.failures { font-size: 13px; margin-top: 6px; }
table.failures td:first-child { width: 28%; }
table.failures td:nth-child(2), table.failures td:nth-child(3) { width: 172px; }
table.failures td:nth-child(5) { width: 120px; }
.qid { display: block; font-size: 11.5px; color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  overflow-wrap: anywhere; }
footer { margin-top: 40px; font-size: 12.5px; color: var(--muted); }
"""

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evaluation report</title>
<style>{css}</style>
</head>
<body>
<main>
<h1>Evaluation report</h1>
<p class="sub">{headline}</p>
{synthetic}
{cards}
<h2>Main metrics</h2>
{legend}
{main_chart}
<h2>By question kind</h2>
{legend}
<h3>Right article first (Recall@1)</h3>
{kind_r1}
<h3>Right replies</h3>
{kind_right}
<p class="muted">A right reply is a correct answer, or an abstention when the corpus holds no
answer. Abstained counts every abstention of the kind, rightful or not.</p>
{kind_table}
<h2>Latency per question</h2>
{latency}
<h2>All metrics</h2>
{metrics_table}
<p class="muted">Retrieval is judged on the ranking of articles (each at the position of its
first passage) over answerable questions. Passage hits count a passage containing an expected
answer. A correct answer does not abstain, cites an expected article and contains an expected
answer. Where the retrievers differ, the best value of a row is in bold.</p>
<h2>Failed questions</h2>
<p class="muted">A question fails when its first passage comes from another article, its answer
is not correct, or it answers a question the corpus cannot answer.</p>
{failures}
</main>
</body>
</html>
"""


# --------------------------------------------------------------------- write


def write_report(result: EvalResult, path: Path | str) -> Path:
    """Write ``result`` as ``.html`` (charts), ``.md`` (tables) or ``.json`` (every record).

    >>> write_report(result, "eval.html")  # doctest: +SKIP
    PosixPath('eval.html')
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".html":
        text = to_html(result)
    elif suffix == ".md":
        text = to_markdown(result)
    elif suffix == ".json":
        text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n"
    else:
        raise ConfigError(
            f"Cannot write a report as {path.name!r}; end the name in {', '.join(REPORT_SUFFIXES)}."
        )
    if path.parent and not path.parent.is_dir():
        raise ConfigError(f"Folder {path.parent} does not exist; create it or pick another path.")
    path.write_text(text, encoding="utf-8")
    return path
