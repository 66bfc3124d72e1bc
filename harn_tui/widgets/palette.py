"""Colours from the theme: the named colours used in styles (`red`, `green`, …) are drawn with
the current theme's semantic colours, so every theme keeps its look and its contrast.

Each colour means one thing everywhere (see `MEANING`); `status.py` maps statuses and HITL
states onto them.
"""

from __future__ import annotations

from rich.terminal_theme import TerminalTheme
from textual.color import Color
from textual.theme import Theme

#: What each named colour means in harn-tui, and the theme variables it is drawn with
#: (first one distinct enough from the others and readable on the background wins).
MEANING: dict[str, tuple[str, tuple[str, ...], str]] = {
    "red": ("failed, errors, removed", ("error",), "#e05561"),
    "green": ("completed, success, added", ("success",), "#4ebf71"),
    "yellow": ("active, pending, changed: needs attention", ("warning",), "#e5c07b"),
    "cyan": ("tool calls, kinds, paths", ("accent", "primary-lighten-2"), "#56b6c2"),
    "blue": ("structure: plans, turns, checkpoints", ("primary-lighten-1", "primary", "primary-lighten-2"), "#61afef"),
    "magenta": ("models, roles, orchestration decisions, the baseline side (B)", ("secondary-lighten-2", "secondary-lighten-3", "secondary"), "#c678dd"),
}
ORDER = ("red", "green", "yellow", "cyan", "blue", "magenta")
#: Always the theme's own $error / $success / $warning (themes design those to be distinct).
SEMANTIC = ("red", "green", "yellow")
MIN_CONTRAST = 3.0
MIN_DISTANCE = 60.0
#: Hue range (degrees) a theme colour must fall in to stand for a named colour.
HUES = {"cyan": (160, 215), "blue": (195, 260), "magenta": (260, 345)}


def _luminance(color: Color) -> float:
    def channel(c: int) -> float:
        v = c / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = color.rgb
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: Color, b: Color) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _hue_fits(name: str, color: Color) -> bool:
    if name not in HUES:
        return True
    h, s, _l = color.hsl
    low, high = HUES[name]
    return s > 0.15 and low <= h * 360 <= high


def _distance(a: Color, b: Color) -> float:
    return sum((x - y) ** 2 for x, y in zip(a.rgb, b.rgb, strict=True)) ** 0.5


def readable(color: Color, background: Color) -> Color:
    """`color`, lightened (dark background) or darkened until it reads on `background`."""
    dark = _luminance(background) < 0.4
    for _ in range(20):
        if contrast(color, background) >= MIN_CONTRAST:
            break
        color = color.lighten(0.05) if dark else color.darken(0.05)
    return color


def theme_colors(theme: Theme) -> dict[str, Color]:
    """Named colour -> the colour it is drawn with under `theme`."""
    variables = theme.to_color_system().generate()
    background = Color.parse(variables.get("background", "#000000"))
    chosen: dict[str, Color] = {}
    for name in ORDER:
        _meaning, candidates, fallback = MEANING[name]
        options = [Color.parse(variables[v]) for v in candidates if v in variables] + [Color.parse(fallback)]
        pick = None
        for option in options:
            option = readable(option, background)
            if name in SEMANTIC or (_hue_fits(name, option) and all(
                _distance(option, other) >= MIN_DISTANCE for other in chosen.values()
            )):
                pick = option
                break
        chosen[name] = pick or readable(Color.parse(fallback), background)
    return chosen


def terminal_theme(theme: Theme) -> TerminalTheme:
    """A Rich terminal theme whose ANSI colours are `theme`'s semantic ones."""
    variables = theme.to_color_system().generate()
    background = Color.parse(variables.get("background", "#000000"))
    foreground = Color.parse(variables.get("foreground", "#ffffff"))
    colors = theme_colors(theme)
    ansi = ("red", "green", "yellow", "blue", "magenta", "cyan")  # the terminal's colour order
    normal = [background.rgb, *(colors[n].rgb for n in ansi), foreground.darken(0.1).rgb]
    bright = [background.lighten(0.3).rgb, *(colors[n].lighten(0.1).rgb for n in ansi), foreground.rgb]
    return TerminalTheme(background.rgb, foreground.rgb, normal, bright)
