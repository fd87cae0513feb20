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
    "words; they do not measure answers to real questions."
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


# Columns of the per-kind tables: (label, value of a by_kind block).
KIND_COLUMNS: tuple[tuple[str, Callable[[dict[str, Any]], float | None]], ...] = (
    ("R@1", lambda mt: mt["recall@1"]),
    ("MRR", lambda mt: mt["mrr@10"]),
    ("Answer", lambda mt: mt["answer_accuracy"]),
    ("Abstained", abstained_rate),
    ("Right", correct_reply_rate),
)


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


def _align(rows: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Left-align the first column, right-align the others."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append((indent + "  ".join(cells)).rstrip())
    return lines


def format_metrics_table(result: EvalResult) -> str:
    """Metrics as rows, one column per retriever, grouped under plain headings."""
    rows: list[list[str]] = [["", *result.retrievers]]
    headings: dict[int, str] = {}
    for heading, keys in SECTIONS:
        headings[len(rows)] = heading
        for key, label in keys:
            rows.append(["  " + label, *(format_value(key, r.metrics[key]) for r in result.runs)])
    aligned = _align(rows)
    out = []
    for i, line in enumerate(aligned):
        if i in headings:
            out.append(headings[i])
        out.append(line)
    return "\n".join(out)


def format_kind_table(result: EvalResult) -> str:
    """One row per question kind; for each retriever R@1, MRR, answer accuracy, abstentions."""
    several = len(result.runs) > 1
    header = ["kind", "n"]
    for run in result.runs:
        header += [f"{run.retriever} {label}" if several else label for label, _ in KIND_COLUMNS]
    rows = [header]
    for kind in _kinds(result):
        blocks = [run.metrics["by_kind"].get(kind) for run in result.runs]
        n = next(b["questions"] for b in blocks if b)
        row = [kind, str(n)]
        for block in blocks:
            row += [format_value("", fn(block) if block else None) for _, fn in KIND_COLUMNS]
        rows.append(row)
    legend = (
        "R@1, MRR: right article first / reciprocal rank; Answer: correct answers among "
        "answerable; Abstained: share of questions; Right: correct answer or rightful abstention."
    )
    return "\n".join([*_align(rows), legend])


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def failure_fields(record: QuestionRecord) -> dict[str, str]:
    """What a person needs to see about a failed question, as short strings."""
    item = record.item
    ranking = record.ranking
    expected = ", ".join(item.article_ids) or "(none: should abstain)"
    first = record.first_article or "(no hits)"
    if item.answerable and record.first_article not in item.article_ids:
        positions = [ranking.index(a) + 1 for a in item.article_ids if a in ranking]
        first += f" (expected at {min(positions)})" if positions else " (expected not retrieved)"
    answer = "(abstained) " + record.answer if record.abstained else record.answer
    return {
        "id": item.id,
        "kind": item.kind,
        "question": item.question,
        "expected": expected,
        "first": first,
        "answer": answer,
        "why": "; ".join(record.problems()),
    }


def format_failures(result: EvalResult, limit: int | None = 20) -> str:
    """The failed questions of each retriever: question, expected and first article, answer."""
    blocks = []
    for run in result.runs:
        failed = run.failures()
        title = f"Failed questions, {run.retriever}: {len(failed)} of {len(run.questions)}"
        lines = [title]
        shown = failed if limit is None else failed[:limit]
        for record in shown:
            f = failure_fields(record)
            lines.append(f"  {f['id']} [{f['kind']}] {_one_line(f['question'], 110)}")
            lines.append(f"      expected: {f['expected']}")
            lines.append(f"      first:    {f['first']}")
            lines.append(f"      answer:   {_one_line(f['answer'], 110)}")
            lines.append(f"      why:      {f['why']}")
        if len(shown) < len(failed):
            lines.append(f"  … and {len(failed) - len(shown)} more (write a report to see all)")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def format_summary(result: EvalResult, *, failures: int | None = 20) -> str:
    """Everything for the terminal: headline, metrics, per-kind table, failed questions.

    ``failures`` caps the failed questions listed per retriever (``0``: none, ``None``: all).
    """
    parts = [f"Evaluation: {_headline(result)}"]
    if result.synthetic:
        parts[0] += "\n" + SYNTHETIC_NOTE
    parts += [format_metrics_table(result), "By kind\n" + format_kind_table(result)]
    if failures != 0:
        parts.append(format_failures(result, failures))
    return "\n\n".join(parts) + "\n"


# ------------------------------------------------------------------ markdown


def _md_table(rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    def esc(cell: str) -> str:
        return cell.replace("|", "\\|").replace("\n", " ")

    head, *body = rows
    align = ["---" if i < right_from else "---:" for i in range(len(head))]
    lines = ["| " + " | ".join(map(esc, head)) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(map(esc, row)) + " |" for row in body]
    return "\n".join(lines)


def to_markdown(result: EvalResult) -> str:
    """The report as Markdown tables."""
    out = ["# Evaluation", "", _headline(result) + "."]
    if result.synthetic:
        out += ["", f"> {SYNTHETIC_NOTE}"]
    for heading, keys in SECTIONS:
        rows = [["metric", *result.retrievers]]
        rows += [
            [label, *(format_value(k, r.metrics[k]) for r in result.runs)] for k, label in keys
        ]
        out += ["", f"## {heading}", "", _md_table(rows)]
    out += ["", "## By kind", ""]
    for run in result.runs:
        rows = [["kind", "n", *(label for label, _ in KIND_COLUMNS)]]
        for kind, block in run.metrics["by_kind"].items():
            rows.append(
                [kind, str(block["questions"])]
                + [format_value("", fn(block)) for _, fn in KIND_COLUMNS]
            )
        out += [f"**{run.retriever}**", "", _md_table(rows, right_from=1), ""]
    out += ["## Failed questions"]
    for run in result.runs:
        failed = run.failures()
        out += ["", f"### {run.retriever}: {len(failed)} of {len(run.questions)}", ""]
        if failed:
            rows = [["id", "kind", "question", "expected", "first", "answer", "why"]]
            for record in failed:
                f = failure_fields(record)
                rows.append([f[c] if c != "answer" else _one_line(f[c], 200) for c in rows[0]])
            out.append(_md_table(rows, right_from=len(rows[0])))
        else:
            out.append("None.")
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
                f'rx="2" fill="{_COLOURS[s % len(_COLOURS)]}">'
                f"<title>{_esc(name)} · {_esc(group)}: {value:.3f}</title></rect>"
            )
            label = f"{value:.2f}".lstrip("0") if value < 1 else "1"
            parts.append(
                f'<text x="{cx:.1f}" y="{y - 4:.1f}" class="val" text-anchor="middle">'
                f"{label}</text>"
            )
        parts.append(
            f'<text x="{left + (g + 0.5) * group_w:.1f}" y="{top + plot_h + 18:.1f}" '
            f'class="group" text-anchor="middle">{_esc(group)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


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
            f'fill="{_COLOURS[s % len(_COLOURS)]}" fill-opacity="{opacity}"/>'
        )
        parts.append(
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="val">{value:.0f} ms</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend(result: EvalResult) -> str:
    if len(result.runs) < 2:
        return ""
    items = "".join(
        f'<span><i style="background:{_COLOURS[s % len(_COLOURS)]}"></i>{_esc(name)}</span>'
        for s, name in enumerate(result.retrievers)
    )
    return f'<div class="legend">{items}</div>'


def _html_table(rows: Sequence[Sequence[str]], *, header_rows: int = 1, cls: str = "") -> str:
    out = [f'<table class="{cls}">' if cls else "<table>"]
    for i, row in enumerate(rows):
        tag = "th" if i < header_rows else "td"
        out.append("<tr>" + "".join(f"<{tag}>{cell}</{tag}>" for cell in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _best(values: Sequence[float | None], key: str) -> set[int]:
    """Columns holding the best value of a row (lowest for latency and wrong abstentions)."""
    present = [(v, i) for i, v in enumerate(values) if v is not None]
    if len(present) < 2:
        return set()
    lower_is_better = key.endswith("_ms") or key == "false_abstain_rate"
    target = min(present)[0] if lower_is_better else max(present)[0]
    return {i for v, i in present if v == target}


def to_html(result: EvalResult) -> str:
    """The report as one self-contained HTML page with inline SVG charts."""
    names = result.retrievers
    kinds = _kinds(result)
    main_chart = bar_chart_svg(
        [label for _, label in CHART_METRICS],
        names,
        [[run.metrics[key] for run in result.runs] for key, _ in CHART_METRICS],
        title="Main metrics per retriever",
    )
    kind_r1 = bar_chart_svg(
        kinds,
        names,
        [[_kind(run, k, lambda mt: mt["recall@1"]) for run in result.runs] for k in kinds],
        title="Recall@1 by question kind",
        width=520,
        height=260,
    )
    kind_right = bar_chart_svg(
        kinds,
        names,
        [[_kind(run, k, correct_reply_rate) for run in result.runs] for k in kinds],
        title="Right replies by question kind",
        width=520,
        height=260,
    )

    metric_rows: list[list[str]] = [["", *map(_esc, names)]]
    for heading, keys in SECTIONS:
        metric_rows.append([f'<span class="section">{_esc(heading)}</span>'] + [""] * len(names))
        for key, label in keys:
            values = [run.metrics[key] for run in result.runs]
            best = _best(values, key)
            metric_rows.append(
                [_esc(label)]
                + [
                    f"<b>{format_value(key, v)}</b>" if i in best else format_value(key, v)
                    for i, v in enumerate(values)
                ]
            )

    kind_tables = []
    for run in result.runs:
        rows = [["kind", "n", *(label for label, _ in KIND_COLUMNS)]]
        for kind, block in run.metrics["by_kind"].items():
            rows.append(
                [_esc(kind), str(block["questions"])]
                + [format_value("", fn(block)) for _, fn in KIND_COLUMNS]
            )
        caption = f"<h3>{_esc(run.retriever)}</h3>" if len(result.runs) > 1 else ""
        kind_tables.append(caption + _html_table(rows, cls="num"))

    failure_blocks = []
    for s, run in enumerate(result.runs):
        failed = run.failures()
        summary = (
            f'<summary><i style="background:{_COLOURS[s % len(_COLOURS)]}"></i>'
            f"{_esc(run.retriever)}: {len(failed)} of {len(run.questions)} failed</summary>"
        )
        if failed:
            rows = [["question", "expected", "came first", "answer given", "why"]]
            for record in failed:
                f = failure_fields(record)
                rows.append(
                    [
                        f'<span class="qid">{_esc(f["id"])} · {_esc(f["kind"])}</span>'
                        f"{_esc(f['question'])}",
                        f"<code>{_esc(f['expected'])}</code>",
                        f"<code>{_esc(f['first'])}</code>",
                        _esc(_one_line(f["answer"], 280)),
                        _esc(f["why"]),
                    ]
                )
            body = _html_table(rows, cls="failures")
        else:
            body = '<p class="muted">Every question passed.</p>'
        opened = " open" if s == 0 else ""
        failure_blocks.append(f"<details{opened}>{summary}{body}</details>")

    synthetic = f'<p class="note">{_esc(SYNTHETIC_NOTE)}</p>' if result.synthetic else ""
    return _PAGE.format(
        css=_CSS,
        headline=_esc(_headline(result)),
        synthetic=synthetic,
        cards=_cards(result),
        legend=_legend(result),
        main_chart=main_chart,
        latency=latency_svg(result),
        kind_r1=kind_r1,
        kind_right=kind_right,
        metrics_table=_html_table(metric_rows, cls="num metrics"),
        kind_tables="".join(kind_tables),
        kind_legend=_esc(
            "R@1: right article first. MRR: mean reciprocal rank of the right article. "
            "Answer: correct answers among answerable questions. Abstained: share of the "
            "kind's questions. Right: a correct answer, or an abstention when the corpus "
            "has no answer."
        ),
        failures="".join(failure_blocks),
    )


def _kind(
    run: RetrieverRun, kind: str, fn: Callable[[dict[str, Any]], float | None]
) -> float | None:
    block = run.metrics["by_kind"].get(kind)
    return fn(block) if block else None


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
            f'<div class="card" style="border-top-color:{_COLOURS[s % len(_COLOURS)]}">'
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
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.grid2 h3 { margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 12.5px; text-transform: uppercase;
  letter-spacing: .03em; }
table.num td:not(:first-child), table.num th:not(:first-child) { text-align: right;
  font-variant-numeric: tabular-nums; }
table.metrics td:first-child { padding-left: 22px; }
.section { display: block; margin-left: -12px; font-weight: 600; color: var(--ink);
  padding-top: 8px; }
details { margin: 10px 0; border: 1px solid var(--line); border-radius: 8px; padding: 6px 12px; }
summary { cursor: pointer; font-weight: 600; padding: 4px 0; }
table.failures { font-size: 13px; margin-top: 6px; }
table.failures td:first-child { width: 32%; }
.qid { display: block; font-size: 11.5px; color: var(--muted); }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; word-break: break-all; }
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
<div class="grid2">
<div><h3>Right article first (Recall@1)</h3>{kind_r1}</div>
<div><h3>Right replies</h3>{kind_right}</div>
</div>
{kind_tables}
<p class="muted">{kind_legend}</p>
<h2>Latency per question</h2>
{latency}
<h2>All metrics</h2>
{metrics_table}
<p class="muted">Retrieval is judged on the ranking of articles (each at the position of its
first passage) over answerable questions. Passage hits count a passage containing an expected
answer. A correct answer does not abstain, cites an expected article and contains an expected
answer. Best value per row in bold.</p>
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
