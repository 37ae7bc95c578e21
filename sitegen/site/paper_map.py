"""The map page's data: one point per paper, placed by machine learning, coloured by theme."""

from __future__ import annotations

import colorsys
import math
from dataclasses import dataclass

from sitegen.model import Site
from sitegen.site.urls import paper_route, theme_route

WIDTH, HEIGHT, MARGIN = 1000, 720, 12
NO_THEME = "#7a7f87"
# Every colour has this relative luminance, so each shows against the light page (#fdfdfc)
# and the dark one (#16181b) with a contrast of at least 3:1, as WCAG asks of graphics.
LUMINANCE = 0.17


@dataclass(frozen=True)
class MapPoint:
    """A paper on the map: filled when curated, a ring when its theme is the classifier's guess."""

    x: float
    y: float
    title: str
    route: str
    colour: str
    curated: bool


@dataclass(frozen=True)
class LegendEntry:
    title: str
    route: str
    colour: str
    count: int


@dataclass(frozen=True)
class PaperMap:
    width: int
    height: int
    radius: float
    points: tuple[MapPoint, ...]
    legend: tuple[LegendEntry, ...]


def theme_colours(count: int) -> list[str]:
    """Return `count` colours of equal luminance with hues far apart for neighbouring themes."""
    colours = []
    for index in range(count):
        hue = (index * 0.381966) % 1.0  # the golden angle: consecutive themes get distant hues
        saturation = 0.85 if index % 2 == 0 else 0.6
        colours.append(_with_luminance(hue, saturation, LUMINANCE))
    return colours


def _with_luminance(hue: float, saturation: float, target: float) -> str:
    low, high = 0.0, 1.0
    for _ in range(40):  # bisect the HLS lightness until the luminance is the target
        middle = (low + high) / 2
        if _luminance(colorsys.hls_to_rgb(hue, middle, saturation)) < target:
            low = middle
        else:
            high = middle
    red, green, blue = colorsys.hls_to_rgb(hue, (low + high) / 2, saturation)
    return "#" + "".join(f"{round(channel * 255):02x}" for channel in (red, green, blue))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def linear(channel: float) -> float:
        return channel / 12.92 if channel <= 0.04045 else ((channel + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def paper_map(site: Site) -> PaperMap | None:
    """Return the map of the site's papers, or None when machine learning has not placed them."""
    learning = site.learning
    if learning is None or not learning.positions:
        return None
    themes = site.curation.themes
    colours = dict(zip((theme.slug for theme in themes), theme_colours(len(themes)), strict=True))
    titles = {paper.id: paper.title for paper in site.catalog.papers}
    counts = dict.fromkeys(colours, 0)
    points = []
    for paper_id, (x, y) in learning.positions:
        curated = site.curation.themes_of(paper_id)
        suggested = [slug for slug, _ in learning.themes_suggested_for(paper_id)]
        theme = next(iter(curated or suggested), None)
        if theme in counts:
            counts[theme] += 1
        points.append(MapPoint(
            x=round(MARGIN + x * (WIDTH - 2 * MARGIN), 1),
            y=round(MARGIN + y * (HEIGHT - 2 * MARGIN), 1),
            title=titles.get(paper_id, paper_id),
            route=paper_route(paper_id),
            colour=colours.get(theme, NO_THEME) if theme else NO_THEME,
            curated=bool(curated),
        ))
    # Points shrink as papers multiply, so 10,000 stay apart: area per point stays about even.
    radius = round(max(1.8, min(6.0, 5.0 * math.sqrt(550 / max(len(points), 1)))), 1)
    legend = tuple(LegendEntry(theme.title, theme_route(theme.slug), colours[theme.slug], counts[theme.slug])
                   for theme in themes)
    return PaperMap(width=WIDTH, height=HEIGHT, radius=radius, points=tuple(points), legend=legend)
