"""Numbers formatted one way everywhere: token counts, plain counts, US dollars."""

from __future__ import annotations


def fmt_tokens(n: int) -> str:
    """950, 1.2k, 48k, 3.4M (and -1.2k for a negative count)."""
    size = abs(n)
    if size >= 1_000_000:
        return f"{n / 1_000_000:.1f}M"
    if size >= 10_000:
        return f"{n / 1000:.0f}k"
    if size >= 1000:
        return f"{n / 1000:.1f}k"
    return str(n)


def fmt_count(n: int) -> str:
    """A count with thousands separators: 12,345."""
    return f"{n:,}"


def fmt_usd(value: float) -> str:
    """$0.0123 below a dollar, $12.35 from there, $1,234 from a thousand; "$0" for nothing."""
    if value == 0:
        return "$0"
    if abs(value) < 1:
        return f"${value:.4f}"
    if abs(value) < 1000:
        return f"${value:,.2f}"
    return f"${value:,.0f}"
