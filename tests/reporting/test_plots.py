"""fedaudit.reporting.plots: figures are built without pyplot, stay legible from 1 to 300 domains."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest

from fedaudit.reporting import plots
from report_estate import estate

FIGURES = (plots.timeline_figure, plots.mismatch_matrix_figure, plots.days_to_expiry_figure)


@pytest.fixture(scope="module")
def small():
    return estate(1)


@pytest.fixture(scope="module")
def large():
    return estate(300, farms=3)


def _overlaps(boxes):
    """Pairs of bounding boxes that intersect by more than a pixel."""
    out = []
    for (i, a), (j, b) in itertools.combinations(enumerate(boxes), 2):
        if min(a.x1, b.x1) - max(a.x0, b.x0) > 1 and min(a.y1, b.y1) - max(a.y0, b.y0) > 1:
            out.append((i, j))
    return out


def _tick_boxes(fig):
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()
    result = {}
    for n, ax in enumerate(fig.axes):
        frame = ax.get_window_extent(renderer)
        for axis in ("x", "y"):
            labels = [t for t in getattr(ax, f"get_{axis}ticklabels")() if t.get_visible() and t.get_text()]
            boxes = [t.get_window_extent(renderer) for t in labels]
            # ticks beyond the view limits keep a label object but are not drawn
            drawn = [
                (t, b) for t, b in zip(labels, boxes)
                if (frame.x0 - 1 <= (b.x0 + b.x1) / 2 <= frame.x1 + 1 if axis == "x" else frame.y0 - 1 <= (b.y0 + b.y1) / 2 <= frame.y1 + 1)
            ]
            result[(n, axis)] = ([t.get_text() for t, _ in drawn], [b for _, b in drawn])
    return result


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
@pytest.mark.parametrize("size", ["small", "large"])
def test_figure_is_agg_and_tick_labels_do_not_overlap(make, size, request):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    data = request.getfixturevalue(size)
    fig = make(data)
    assert isinstance(fig, Figure)
    assert isinstance(fig.canvas, FigureCanvasAgg)
    width_px, height_px = fig.canvas.get_width_height()
    for (n, axis), (texts, boxes) in _tick_boxes(fig).items():
        assert not _overlaps(boxes), f"{make.__name__} {size}: {axis} tick labels overlap: {texts}"
        # and none is cut off by the figure's edge
        assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= width_px and b.y1 <= height_px for b in boxes), texts
    # legends, header and footer lines stay clear of the axes and of each other
    renderer = fig.canvas.get_renderer()
    axes_box = fig.axes[0].get_window_extent(renderer)
    others = [a.get_window_extent(renderer) for a in (*fig.legends, *fig.texts)]
    assert not _overlaps([axes_box, *others]), make.__name__
    assert all(b.x0 >= 0 and b.y0 >= 0 and b.x1 <= width_px and b.y1 <= height_px for b in others)
    width, height = fig.get_size_inches()
    assert width == pytest.approx(plots.WIDTH_INCHES)
    # paginated/summarised: 300 domains never make a figure taller than ~40 rows
    assert 1.5 <= height <= 14, height


@pytest.mark.parametrize("make", FIGURES, ids=lambda f: f.__name__)
def test_large_estate_is_capped_and_summarised(make, large):
    fig = make(large, max_rows=40)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 40
    texts = [t.get_text() for t in fig.texts]
    assert any("of 30" in t or "of 5" in t or "of 6" in t for t in texts), texts


def test_timeline_pages_cover_every_row_once(large):
    fig = plots.timeline_figure(large, max_rows=40)
    note = next(t.get_text() for t in fig.texts if t.get_text().startswith("Rows"))
    total = int(note.split(" of ")[1].split(",")[0])
    pages = -(-total // 40)
    assert f"page 1 of {pages}" in note
    seen = []
    for page in range(pages):
        ax = plots.timeline_figure(large, max_rows=40, page=page).axes[0]
        seen += [t.get_text() for t in ax.get_yticklabels()]
    assert len(seen) == total
    # past the last page: an empty figure that says so, not an exception
    last = plots.timeline_figure(large, max_rows=40, page=pages)
    assert "No page" in last.axes[0].texts[0].get_text()


def test_timeline_draws_sources_windows_as_of_and_events(small):
    fig = plots.timeline_figure(small)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    for want in ("AD FS", "Entra ID", "metadata", "35 days before", "15 days before", "generates", "promotes", "first polls"):
        assert any(want in text for text in legend), (want, legend)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0].startswith("fs0.contoso.example") and "AD FS primary" in labels[0]
    assert any("Entra ID current" in label for label in labels)
    assert any(t.get_text() == "as of 2026-11-27" for t in ax.texts)


def test_timeline_marks_domains_without_entra_certificates():
    data = estate(3)  # d0002 has no Entra settings
    labels = [t.get_text() for t in plots.timeline_figure(data).axes[0].get_yticklabels()]
    assert any(label.startswith("d0002") and "no Entra certificate in evidence" in label for label in labels)


def test_timeline_drill_into_one_domain_keeps_its_farm():
    data = estate(8, farms=2)
    labels = [t.get_text() for t in plots.timeline_figure(data, domains="d0001.example.com").axes[0].get_yticklabels()]
    assert {label.split(" \u00b7 ")[0] for label in labels} == {"fs1.contoso.example", "d0001.example.com"}


def test_matrix_codes_agreement_in_text():
    data = estate(3)  # d0000 in sync, d0001 Entra lags, d0002 no Entra settings
    fig = plots.mismatch_matrix_figure(data)
    ax = fig.axes[0]
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert rows[0].startswith("d0001")  # the disagreement comes first
    cells = [t.get_text() for t in ax.texts]
    per_row = [cells[i : i + 5] for i in range(0, len(cells), 5)]
    by_domain = {r.split(" ")[0]: c for r, c in zip(rows, per_row)}
    # each cell: the state's symbol, then the code (colour doubles the symbol)
    assert by_domain["d0000.example.com"][0].startswith("\u2713 P ") and by_domain["d0000.example.com"][2].startswith("\u2713 P ")
    assert by_domain["d0000.example.com"][3].startswith("\u2713 S ")
    assert by_domain["d0001.example.com"][2].startswith("\u2717 ? ")  # Entra holds a certificate AD FS does not
    assert by_domain["d0002.example.com"][2] == "\u2014"  # no Entra settings: not in the evidence


def test_expiry_orders_urgent_first_and_prints_days():
    data = estate(4)
    ax = plots.days_to_expiry_figure(data).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "d0001.example.com"  # expired (Entra holds last year's certificate)
    texts = [t.get_text() for t in ax.texts]
    assert any(t.endswith("-355 d") for t in texts)
    assert "unknown: evidence missing" in texts


def test_markup_and_dollars_in_names_are_plain_text():
    data = estate(2, domain_prefix="$x$<b>")
    fig = plots.timeline_figure(data)
    labels = fig.axes[0].get_yticklabels()
    assert any(t.get_text().startswith("$x$<b>d0000") for t in labels)
    assert all(t.get_parse_math() is False for t in labels)
    assert plots.figure_png(fig).startswith(b"\x89PNG")


def test_empty_result_gives_a_figure_that_says_so():
    empty = {"as_of": None}
    for make in FIGURES:
        fig = make(empty)
        assert fig.axes[0].texts and fig.axes[0].texts[0].get_text().startswith("No ")


def test_bad_arguments():
    with pytest.raises(ValueError):
        plots.timeline_figure({}, max_rows=0)
    with pytest.raises(ValueError):
        plots.timeline_figure({}, page=-1)


def test_importing_fedaudit_and_plots_does_not_import_matplotlib():
    code = "import sys, fedaudit, fedaudit.reporting.plots, fedaudit.reporting.sections, fedaudit.reporting.render; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
