"""Issue 9 (the first ten minutes): keys in a burst, plain messages, layout, help, position,
colours, counts, preferences and broken files."""

from __future__ import annotations

import pytest
from uitools import burst, make_app, screen_text, wait_for, wait_ready

from harn_tui.screens.inbox import InboxScreen
from harn_tui.screens.json_view import JsonScreen
from harn_tui.screens.runs import RunsScreen

SIZE = (120, 36)


async def _loaded(pilot) -> None:  # type: ignore[no-untyped-def]
    await wait_ready(pilot)
    await pilot.pause()


# -- 7: a burst of keys after `/` or `:` goes to the input ------------------------------------


@pytest.mark.parametrize("opener, field", [("/", "#filter"), (":", "#query Input")])
async def test_a_burst_after_slash_or_colon_lands_in_the_input(corpus, opener, field) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        before = (screen.sort, screen.status_filter, screen.workflow_filter)
        await burst(pilot, [opener, *"deploy sow"])
        assert screen.query_one(field).value == "deploy sow"
        assert (screen.sort, screen.status_filter, screen.workflow_filter) == before


async def test_a_burst_after_slash_in_the_inbox_and_json_view(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("i")
        await wait_for(pilot, lambda: isinstance(app.screen, InboxScreen) and app.screen.loaded)
        state = app.screen.state_filter
        await burst(pilot, ["/", *"sss"])
        assert app.screen.query_one("#inbox-filter").value == "sss"
        assert app.screen.state_filter == state
        await pilot.press("escape", "escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, JsonScreen) and not app.screen.loading_file)
        await burst(pilot, ["/", *"status"])
        assert app.screen.query_one("#json-search").value == "status"


# -- 8: every message is plain text, Textual's own included ---------------------------------


def _toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [f"{n.title}\n{n.message}" for n in app._notifications]


async def test_ctrl_c_says_how_to_quit_without_markup(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        toasts = _toasts(app)
        assert toasts and "quit" in toasts[-1]
        assert "[b]" not in toasts[-1] and "[/b]" not in toasts[-1]
        assert "q" in toasts[-1].split("Press", 1)[1]


async def test_record_text_in_a_message_is_never_markup(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        app.screen.notify("[b]bold[/b] [link=x]y[/link] \x1b[31m")  # markup=True by default
        await pilot.pause()
        toast = _toasts(app)[-1]
        assert "[b]bold[/b] [link=x]y[/link]" in toast and "\\x1b" in toast and "\x1b" not in toast


# -- 13: the run header breaks between fields, never inside one -----------------------------


def test_fields_break_between_fields_never_inside() -> None:
    from rich.text import Text

    from harn_tui.widgets.fields import pack

    fields = [Text("cost $0.6562"), Text("models claude-sonnet-4, gpt-5"), Text("policy workspace_write 6 tools")]
    for width in range(12, 120):
        lines = pack([fields], width).plain.split("\n")
        assert all(len(line) <= width for line in lines)
        whole = {f.plain for f in fields if len(f.plain) <= width}
        for name in whole:
            assert any(name in line for line in lines), (width, lines)


async def test_run_header_keeps_each_field_on_one_line(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.run import RunScreen

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        run = next(r for r in corpus.runs if r.workflow == "deploy" and r.sidecar is not None)
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run.run_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.pause()
        lines = [row.strip() for row in screen_text(app).splitlines()]
        assert any(row.startswith("policy ") and row.endswith("tools") for row in lines) or any(
            "policy " in row and row.endswith("tools") for row in lines
        )
        assert not any(row.endswith("tools") and "policy" not in row for row in lines)


# -- 17: colours come from the theme, each means one thing, each theme keeps contrast -------


def test_every_theme_gets_six_distinct_readable_colours() -> None:
    from textual.color import Color
    from textual.theme import BUILTIN_THEMES

    from harn_tui.widgets.palette import MIN_CONTRAST, ORDER, _hue_fits, contrast, theme_colors

    for name, theme in BUILTIN_THEMES.items():
        colors = theme_colors(theme)
        background = Color.parse(theme.to_color_system().generate()["background"])
        assert set(colors) == set(ORDER)
        assert len({c.hex for c in colors.values()}) == len(ORDER), name
        for color_name, color in colors.items():
            assert contrast(color, background) >= MIN_CONTRAST - 0.05, (name, color_name, color.hex)
            if not theme.name.startswith("ansi"):
                assert _hue_fits(color_name, color), (name, color_name, color.hex)  # magenta looks magenta


def test_status_and_hitl_styles_live_in_one_place() -> None:
    from harn_tui.screens import inbox
    from harn_tui.widgets import status
    from harn_tui.widgets.panes import hitl

    assert not hasattr(inbox, "STATE_STYLE") or inbox.STATE_STYLE is status.STATE_STYLE
    assert not hasattr(hitl, "STATE_STYLE") or hitl.STATE_STYLE is status.STATE_STYLE
    colours = {s.split()[-1] for s in status.STYLES.values()}
    assert "magenta" not in colours  # broken files are errors, not a pink of their own


@pytest.mark.parametrize("theme", ["textual-dark", "nord", "dracula", "textual-light"])
async def test_status_colours_follow_the_theme(corpus, theme: str) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.widgets.palette import theme_colors

    app = make_app(corpus.root, corpus.state_dir, theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.pause()
        svg = app.export_screenshot().lower()
        colors = theme_colors(app.current_theme)
        for name in ("red", "green", "yellow"):
            assert colors[name].hex.lower() in svg, (theme, name)
        assert "#f4005f" not in svg  # the stock terminal red/magenta Textual would use


# -- 14: help is grouped by task, this screen first, no duplicates, scrolls with j/k ---------


async def test_help_groups_keys_without_duplicates_and_scrolls(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.help import SECTIONS, HelpScreen, help_sections
    from harn_tui.screens.run import RunScreen

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.press("5")  # the replay pane: the most keys
        await pilot.pause()
        sections = help_sections(app.screen)
        names = [name for name, _rows in sections]
        assert names[-1] == "Everywhere" and set(names[:-1]) <= set(SECTIONS)
        assert names[:-1] == [s for s in SECTIONS if s in names]
        descriptions = [desc for _n, rows in sections for _k, desc in rows]
        assert len(descriptions) == len(set(descriptions)), descriptions
        keys = [k for _n, rows in sections for keys, _d in rows for k in keys.split() if k not in ("/",)]
        assert "k" in keys and keys.count("k") == 1 and keys.count("j") == 1
        assert "Scroll Left" not in descriptions and "Cursor up" not in descriptions
        assert "Copy selected text" not in descriptions
        everywhere = dict((d, k) for k, d in sections[-1][1])
        assert "Quit" in everywhere and "Help" in everywhere
        assert not any(d in ("Quit", "Help") for _n, rows in sections[:-1] for _k, d in rows)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        body = app.screen.body
        assert body.max_scroll_y > 0
        await pilot.press("j", "j", "j")
        assert body.scroll_y == 3
        await pilot.press("k")
        assert body.scroll_y == 2
        await pilot.press("G")
        assert body.scroll_y == body.max_scroll_y


# -- 19: counts and grammar ------------------------------------------------------------------


def test_plural() -> None:
    from harn_tui.core.format.plural import plural

    assert [plural(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert plural(1, "match") == "1 match" and plural(3, "match") == "3 matches"
    assert plural(2, "child") == "2 children" and plural(2, "dependency") == "2 dependencies"
    assert plural(1200, "token") == "1,200 tokens" and plural(2, "day") == "2 days"


async def test_one_run_is_one_run_and_counts_agree(corpus, tmp_path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / ".harn-runs"
    root.mkdir()
    run = next(r for r in corpus.runs if r.parent_run_id is None and r.sidecar is None)
    (root / "one.json").write_bytes(run.path.read_bytes())
    (root / "broken.json").write_text("{ not json")
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        await pilot.pause()
        head = "\n".join(screen_text(app).splitlines()[:3])  # totals (may wrap) and filter state
        assert " 1 run " in head and "1 runs" not in head
        assert "! 1 broken" in head
        assert f"{len(app.screen.table.rows)} of {len(app.runs)} shown" in head


# -- 20: the theme and the sort are remembered (in the user config dir) ----------------------


async def test_theme_and_sort_survive_a_restart(corpus, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from uitools import tree_digest

    config = tmp_path / "config"
    monkeypatch.setenv("HARN_TUI_CONFIG_DIR", str(config))
    before = tree_digest(corpus.root)
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        app.theme = "nord"
        await pilot.press("o")  # newest -> oldest
        await pilot.pause()
        assert app.screen.sort == "oldest"
    assert (config / "preferences.json").is_file()
    again = make_app(corpus.root, corpus.state_dir)
    async with again.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        assert again.theme == "nord"
        assert again.screen.sort == "oldest"
        assert "sort:oldest" in screen_text(again)
    assert tree_digest(corpus.root) == before


# -- 21: Enter on a broken file shows its reason and first bytes, escaped --------------------


async def test_enter_on_a_broken_file_opens_its_reason_and_first_bytes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.text_view import TextScreen

    root = tmp_path / ".harn-runs"
    root.mkdir()
    (root / "bad.json").write_bytes(b'{"_type": "run_record", "id": "x\x1b]0;PWNED\x07", \xff\xfe "trunc')
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        table = app.screen.table
        assert table.current is not None and table.current.broken
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen))
        await pilot.pause()
        text = screen_text(app)
        assert "Broken run file: bad.json" in text and "Reason:" in text
        assert "\\x1b]0;PWNED\\x07" in text and "\\xff\\xfe" in text
        assert "\x1b" not in app.screen.text and "\x07" not in app.screen.text
        assert "7b 22 5f 74" in text  # the hex dump of `{"_t`
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen))


# -- 18: text wraps at word boundaries (the text view, the compaction diff, toasts) ----------

SENTENCE = " ".join(["archived", "message", "about", "deployment", "verification"] * 12)


async def test_the_text_view_wraps_between_words(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.text_view import TextScreen

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24)) as pilot:
        await _loaded(pilot)
        app.open_text(f"- [user] {SENTENCE}\n", "compaction diff")
        await wait_for(pilot, lambda: isinstance(app.screen, TextScreen) and bool(app.screen.query("TextLines"))
                       and app.screen.lines_view.ready)
        await pilot.pause()
        words = set(SENTENCE.split())
        rows = [r.strip() for r in screen_text(app).splitlines()[1:8] if r.strip()]
        assert len(rows) >= 3
        for row in rows:
            for piece in row.replace("- [user]", "").split():
                assert piece in words, (piece, rows)


async def test_toasts_wrap_between_words(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _loaded(pilot)
        app.notify(SENTENCE[:150], title="Words")
        await wait_for(pilot, lambda: "Words" in screen_text(app))
        rows = [r.split("▌", 1)[1].strip() for r in screen_text(app).splitlines() if "▌" in r]
        words = set(SENTENCE.split())
        body = [r for r in rows if r and r != "Words"]
        assert body
        for row in body:
            drawn = "".join(" " if "\u2580" <= ch <= "\u259f" else ch for ch in row)  # scrollbars under it
            for piece in drawn.split():
                assert piece in words or SENTENCE[:150].endswith(piece), (piece, body)


# -- 15: long lists say where you are -------------------------------------------------------


async def test_long_lists_show_row_n_of_m(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.run import RunScreen

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(80, 16)) as pilot:
        await _loaded(pilot)
        total = len(app.screen.table.rows)
        assert f"row 1 / {total}" in screen_text(app)
        await pilot.press("j", "j")
        await pilot.pause()
        assert f"row 3 / {total}" in screen_text(app)
        assert app.screen.table.show_vertical_scrollbar
        run = next(r for r in corpus.runs if r.workflow == "deploy" and r.sidecar is not None)
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run.run_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        await pilot.pause()
        stages = app.screen.query_one("#stages-table")
        assert stages.row_count > stages.size.height - 1
        await pilot.press("j")
        await pilot.pause()
        assert f"row 2 / {stages.row_count}" in screen_text(app)
        assert stages.show_vertical_scrollbar


async def test_short_lists_do_not_count_rows(corpus) -> None:  # type: ignore[no-untyped-def]
    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=(120, 50)) as pilot:
        await _loaded(pilot)
        assert "row 1 /" not in screen_text(app)


async def test_starting_the_app_writes_no_preferences(corpus, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "config"
    monkeypatch.setenv("HARN_TUI_CONFIG_DIR", str(config))
    app = make_app(corpus.root, corpus.state_dir, theme="dracula")
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        assert app.theme == "dracula"
    assert not config.exists()


async def test_switching_theme_recolours_what_is_on_screen(corpus) -> None:  # type: ignore[no-untyped-def]
    from harn_tui.screens.run import RunScreen
    from harn_tui.widgets.palette import theme_colors

    app = make_app(corpus.root, corpus.state_dir)
    async with app.run_test(size=SIZE) as pilot:
        await _loaded(pilot)
        run = next(r for r in corpus.runs if r.workflow == "deploy" and r.status == "completed")
        table = app.screen.table
        table.cursor = next(i for i, r in enumerate(table.rows) if r.id == run.run_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RunScreen) and app.screen.detail is not None)
        app.theme = "nord"
        await pilot.pause()
        await pilot.pause()
        svg = app.export_screenshot().lower()
        assert theme_colors(app.current_theme)["green"].hex.lower() in svg  # the stage table's ✓
        old = theme_colors(app.get_theme("textual-dark"))["green"].hex.lower()
        assert old not in svg


def test_each_named_colour_is_drawn_with_its_own_theme_colour() -> None:
    from rich.color import Color as RichColor
    from textual.theme import BUILTIN_THEMES

    from harn_tui.widgets.palette import ORDER, terminal_theme, theme_colors

    for theme in (BUILTIN_THEMES["textual-dark"], BUILTIN_THEMES["nord"]):
        terminal = terminal_theme(theme)
        colors = theme_colors(theme)
        for name in ORDER:
            number = RichColor.parse(name).number
            assert terminal.ansi_colors[number].hex.lower() == colors[name].hex.lower(), (theme.name, name)
