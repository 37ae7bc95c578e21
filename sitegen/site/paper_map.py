"""The map pages' data: one point per paper, placed by machine learning, coloured by theme.

A map page holds at most MAP_POINTS points, so that it stays small at any size. Past that,
the overview shows a sample spread evenly over the map, and each theme gets a map of its
own papers (sampled the same way past MAP_POINTS); every paper stays reachable from its
theme's pages and the all-papers list.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Sequence
from dataclasses import dataclass

from sitegen.model import Site
from sitegen.site.urls import paper_route, theme_route

MAP_ROUTE = "map/"

WIDTH, HEIGHT, MARGIN = 1000, 720, 12
NO_THEME = "#7a7f87"
# Every colour has this relative luminance, so each shows against the light page (#fdfdfc)
# and the dark one (#16181b) with a contrast of at least 3:1, as WCAG asks of graphics.
LUMINANCE = 0.17
MAP_POINTS = 600  # points a map page holds, each a link with its title (docs/learning.md)


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
    """One map page: its points (all of its papers, or a spread sample of `total`)."""

    width: int
    height: int
    radius: float
    points: tuple[MapPoint, ...]
    legend: tuple[LegendEntry, ...]
    total: int  # the papers this map is of; more than len(points) when it shows a sample
    theme: str | None = None  # the theme's title, on a theme's own map

    @property
    def sampled(self) -> bool:
        return self.total > len(self.points)


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


def map_points(site: Site) -> tuple[tuple[MapPoint, str | None], ...] | None:
    """Return every paper's point with its theme (curated, else suggested), or None unplaced."""
    learning = site.learning
    if learning is None or not learning.positions:
        return None
    themes = site.curation.themes
    colours = dict(zip((theme.slug for theme in themes), theme_colours(len(themes)), strict=True))
    titles = {paper.id: paper.title for paper in site.catalog.papers}
    points = []
    for paper_id, (x, y) in learning.positions:
        curated = site.curation.themes_of(paper_id)
        suggested = [slug for slug, _ in learning.themes_suggested_for(paper_id)]
        theme = next(iter(curated or suggested), None)
        points.append((MapPoint(
            x=round(MARGIN + x * (WIDTH - 2 * MARGIN), 1),
            y=round(MARGIN + y * (HEIGHT - 2 * MARGIN), 1),
            title=titles.get(paper_id, paper_id),
            route=paper_route(paper_id),
            colour=colours.get(theme, NO_THEME) if theme else NO_THEME,
            curated=bool(curated),
        ), theme if theme in colours else None))
    return tuple(points)


def spread_sample(points: Sequence[MapPoint], limit: int = MAP_POINTS) -> tuple[MapPoint, ...]:
    """Return at most `limit` points spread over the map: one per cell of the finest square
    grid that keeps to the limit, a curated paper first in each cell, then by title."""
    if len(points) <= limit:
        return tuple(points)
    ranked = sorted(points, key=lambda p: (not p.curated, p.title.casefold(), p.route))

    def one_per_cell(side: int) -> list[MapPoint]:
        cells: dict[tuple[int, int], MapPoint] = {}
        for point in ranked:
            cells.setdefault((int(point.x * side / WIDTH), int(point.y * side / HEIGHT)), point)
        return list(cells.values())

    # Finer grids occupy more cells (nearly always): bisect for the finest that keeps to the
    # limit. A 1 x 1 grid always does; `high` is the coarsest grid known or assumed not to.
    low, high = 1, limit
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if len(one_per_cell(middle)) <= limit else (low, middle)
    return tuple(sorted(one_per_cell(low), key=lambda p: p.route))


def paper_maps(site: Site) -> tuple[PaperMap, dict[str, PaperMap]] | None:
    """Return the overview map and, when it shows a sample, each theme's own map, by slug.

    None when machine learning has not placed the papers.
    """
    placed = map_points(site)
    if placed is None:
        return None
    themes = site.curation.themes
    colours = dict(zip((theme.slug for theme in themes), theme_colours(len(themes)), strict=True))
    by_theme: dict[str, list[MapPoint]] = {theme.slug: [] for theme in themes}
    for point, theme in placed:
        if theme is not None:
            by_theme[theme].append(point)
    everything = [point for point, _ in placed]
    overview = spread_sample(everything)
    detailed = len(overview) < len(everything)
    legend = tuple(LegendEntry(theme.title, MAP_ROUTE + theme.slug + "/" if detailed else theme_route(theme.slug),
                               colours[theme.slug], len(by_theme[theme.slug])) for theme in themes)
    own = {
        theme.slug: PaperMap(WIDTH, HEIGHT, radius(len(shown)), shown, legend, len(by_theme[theme.slug]), theme.title)
        for theme in themes if detailed and by_theme[theme.slug]
        for shown in [spread_sample(by_theme[theme.slug])]
    }
    return PaperMap(WIDTH, HEIGHT, radius(len(overview)), overview, legend, len(everything)), own


def radius(points: int) -> float:
    """Points shrink as they multiply, so that many stay apart: area per point stays about even."""
    return round(max(1.8, min(6.0, 5.0 * math.sqrt(550 / max(points, 1)))), 1)
