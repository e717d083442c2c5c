"""Charts where people look: a report's radar and a requisition's score histogram, as PNG or SVG bytes.

Pure rendering with matplotlib's Agg backend (no display, no database). Every call builds its own
``Figure`` (never pyplot's current figure) and passes fonts explicitly to each text, so nothing
leaks between calls; rendering is serialised by a lock because matplotlib's font cache is shared.

Chinese labels need a CJK font: the Debian package ``fonts-noto-cjk`` (installed by
``scripts/install-system-packages``; ``fonts-wqy-zenhei`` also works). Without one, charts asked
for in Chinese fall back to the English labels rather than draw empty boxes.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager  # noqa: E402 - the backend is chosen first
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

from resolvers.analytics.statistics import Distribution  # noqa: E402

Language = Literal["zh", "en"]
ImageFormat = Literal["png", "svg"]
RadarAxis = tuple[str, str, float | None]
"""(label_zh, label_en, value 0–100 or None without enough evidence)."""

DPI = 100
RADAR_SIZE_PX = (640, 640)
HISTOGRAM_SIZE_PX = (800, 450)
INSUFFICIENT_EVIDENCE = {"zh": "证据不足", "en": "insufficient evidence"}
_LATIN_FAMILY = "DejaVu Sans"
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK JP",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
_CJK_FILE_HINTS = ("notosanscjk", "sourcehansans", "wqy-zenhei", "wqy-microhei", "droidsansfallback")
_PROBE = "证据不足"
_LINE_COLOUR = "#1f5fa8"
_MISSING_COLOUR = "#9a9a9a"
_LABEL_WIDTH = 16
"""Characters per line of an axis label (longer English names wrap instead of leaving the image)."""
_RENDER_LOCK = threading.Lock()


def _covers_chinese(path: str) -> bool:
    try:
        font = font_manager.get_font(path)
    except (OSError, RuntimeError, ValueError):
        return False
    return all(font.get_char_index(ord(char)) for char in _PROBE)


def _preferred_cjk_family() -> str | None:
    known = {entry.name: entry.fname for entry in font_manager.fontManager.ttflist}
    for family in _CJK_FAMILIES:
        if family in known and _covers_chinese(known[family]):
            return family
    return None


@cache
def cjk_font_family() -> str | None:
    """The family of an installed font that draws Chinese, or None (then Chinese charts use English labels).

    Looks in matplotlib's font list first, then in the system font folders (a font installed after
    matplotlib built its cache is added here), and checks the font really has the glyphs. Simplified
    Chinese faces are preferred (a ``.ttc`` collection holds the SC, TC, JP and KR faces).
    """
    family = _preferred_cjk_family()
    if family is not None:
        return family
    added: list[str] = []
    for path in sorted(font_manager.findSystemFonts(fontext="ttf")):
        name = Path(path).name.lower()
        if any(hint in name for hint in _CJK_FILE_HINTS) and "bold" not in name and _covers_chinese(path):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue
            added.append(font_manager.FontProperties(fname=path).get_name())
    return _preferred_cjk_family() or (added[0] if added else None)


def _font(language: Language, size: float, *, weight: str = "normal") -> FontProperties:
    cjk = cjk_font_family()
    families = [_LATIN_FAMILY] if cjk is None else [cjk, _LATIN_FAMILY] if language == "zh" else [_LATIN_FAMILY, cjk]
    return FontProperties(family=families, size=size, weight=weight)


def effective_language(language: Language) -> Language:
    """Chinese only when a CJK font is installed; English otherwise (never boxes for missing glyphs)."""
    return "zh" if language == "zh" and cjk_font_family() is not None else "en"


def _new_figure(size_px: tuple[int, int]) -> Figure:
    return Figure(figsize=(size_px[0] / DPI, size_px[1] / DPI), dpi=DPI, facecolor="white")


def _encode(figure: Figure, fmt: ImageFormat) -> bytes:
    if fmt not in ("png", "svg"):
        raise ValueError(f"unsupported chart format {fmt!r} (png or svg)")
    buffer = io.BytesIO()
    metadata = {"Date": None} if fmt == "svg" else {"Software": "hrgate"}
    figure.savefig(buffer, format=fmt, dpi=DPI, metadata=metadata)  # no bbox_inches: the size is fixed
    return buffer.getvalue()


def render_radar(axes: Sequence[RadarAxis], *, language: Language, fmt: ImageFormat) -> bytes:
    """A radar chart of a report's dimensions on a 0–100 scale.

    An axis without a value is drawn as a gap (no line or fill through it) and labelled
    "证据不足" / "insufficient evidence"; the rest keep their segments and shading.
    """
    with _RENDER_LOCK:
        return _encode(_radar_figure(list(axes), effective_language(language)), fmt)


def _radar_figure(axes: list[RadarAxis], language: Language) -> Figure:
    figure = _new_figure(RADAR_SIZE_PX)
    plot = figure.add_subplot(projection="polar")
    plot.set_theta_offset(math.pi / 2)
    plot.set_theta_direction(-1)
    plot.set_ylim(0, 100)
    plot.set_yticks([20, 40, 60, 80, 100])
    plot.set_yticklabels(["20", "40", "60", "80", "100"], fontproperties=_font(language, 8), color="#666666")
    plot.set_rlabel_position(0)
    plot.grid(color="#d0d0d0", linewidth=0.8)
    plot.spines["polar"].set_color("#b0b0b0")
    if not axes:
        plot.set_xticks([])
        plot.text(
            0,
            0,
            "无数据" if language == "zh" else "no data",
            ha="center",
            va="center",
            fontproperties=_font(language, 12),
        )
        return figure
    count = len(axes)
    angles = [2 * math.pi * index / count for index in range(count)]
    values = [None if value is None else min(max(float(value), 0.0), 100.0) for _, _, value in axes]
    for index in range(count):
        following = (index + 1) % count
        first, second = values[index], values[following]
        if first is None or second is None or (count == 1):
            continue
        end_angle = angles[following] if following else 2 * math.pi
        plot.plot([angles[index], end_angle], [first, second], color=_LINE_COLOUR, linewidth=2)
        plot.fill([0, angles[index], end_angle], [0, first, second], color=_LINE_COLOUR, alpha=0.18, linewidth=0)
    for angle, value in zip(angles, values, strict=True):
        if value is None:
            plot.plot([angle, angle], [0, 100], color=_MISSING_COLOUR, linewidth=1, linestyle=(0, (3, 3)))
        else:
            plot.plot([angle], [value], marker="o", color=_LINE_COLOUR, markersize=5)
    labels = []
    for (label_zh, label_en, _), value in zip(axes, values, strict=True):
        label = label_zh if language == "zh" and label_zh else label_en
        score = INSUFFICIENT_EVIDENCE[language] if value is None else f"{value:.0f}"
        labels.append(f"{textwrap.fill(label, _LABEL_WIDTH)}\n{score}")
    plot.set_xticks(angles)
    plot.set_xticklabels(labels, fontproperties=_font(language, 10))
    for tick, value in zip(plot.get_xticklabels(), values, strict=True):
        if value is None:
            tick.set_color(_MISSING_COLOUR)
    plot.tick_params(axis="x", pad=16)
    figure.subplots_adjust(left=0.18, right=0.82, top=0.84, bottom=0.16)
    return figure


def render_histogram(distribution: Distribution, *, title: str, fmt: ImageFormat, language: Language = "en") -> bytes:
    """A requisition's interview-total histogram from ``statistics.distribution()`` bins, with n and median."""
    with _RENDER_LOCK:
        return _encode(_histogram_figure(distribution, title, effective_language(language)), fmt)


def _histogram_figure(distribution: Distribution, title: str, language: Language) -> Figure:
    figure = _new_figure(HISTOGRAM_SIZE_PX)
    plot = figure.add_subplot()
    bins = distribution.bins
    if bins:
        plot.bar(
            [item.lower for item in bins],
            [item.count for item in bins],
            width=[item.upper - item.lower for item in bins],
            align="edge",
            color=_LINE_COLOUR,
            edgecolor="white",
            alpha=0.85,
        )
        plot.set_xlim(bins[0].lower, bins[-1].upper)
    peak = max((item.count for item in bins), default=0)
    plot.set_ylim(0, max(peak, 1) * 1.15)
    plot.yaxis.get_major_locator().set_params(integer=True)
    zh = language == "zh"
    if distribution.median is not None:
        plot.axvline(distribution.median, color="#c0392b", linestyle="--", linewidth=1.5)
    median = "—" if distribution.median is None else f"{distribution.median:.1f}"
    summary = f"n = {distribution.n}   {'中位数' if zh else 'median'} = {median}"
    plot.text(
        0.98,
        0.95,
        summary,
        transform=plot.transAxes,
        ha="right",
        va="top",
        fontproperties=_font(language, 11),
        bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": "#cccccc"},
    )
    if distribution.n == 0 or not distribution.enough_data:
        withheld = "人数过少，不显示分布" if zh else "too few scored interviews to show"
        plot.text(
            0.5,
            0.5,
            withheld if distribution.n else "尚无评分面试" if zh else "no scored interviews yet",
            transform=plot.transAxes,
            ha="center",
            va="center",
            color=_MISSING_COLOUR,
            fontproperties=_font(language, 12),
        )
    plot.set_xlabel("面试总分 (0–100)" if zh else "interview total (0–100)", fontproperties=_font(language, 10))
    plot.set_ylabel("面试数" if zh else "interviews", fontproperties=_font(language, 10))
    plot.set_title(title, fontproperties=_font("zh" if cjk_font_family() else "en", 13))
    plot.spines[["top", "right"]].set_visible(False)
    figure.subplots_adjust(left=0.09, right=0.97, top=0.88, bottom=0.14)
    return figure
