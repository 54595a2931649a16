"""The public pages in a real browser: structure, accessibility (axe-core), small screens,
no JavaScript, the optional local-time script, a clean console, the collapsible groups."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image
from playwright.sync_api import Page

from statuspage.enums import Audience, ComponentStatus
from statuspage.services.components.uptime import DayBar
from statuspage.services.page.builders import build_status_page
from tests.browser.conftest import AXE_JS, CHROMIUM
from tests.conftest import DemoPage

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason=f"{CHROMIUM} is not installed (apt-get install chromium)"
    ),
]

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
TIME_TAG = re.compile(r'<time datetime="([^"]+)" data-local="(datetime|time)">([^<]+)</time>')


def heading_levels(page: Page) -> list[int]:
    """The levels of the visible and visually hidden headings, in document order."""
    return page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => Number(e.tagName[1]))"
    )


def assert_page_structure(page: Page) -> None:
    """One of each landmark a screen reader user jumps between, one h1, no skipped levels."""
    assert page.get_by_role("main").count() == 1
    assert page.get_by_role("banner").count() == 1
    assert page.get_by_role("contentinfo").count() == 1
    assert page.get_by_role("navigation").count() >= 1
    assert page.locator("h1").count() == 1
    levels = heading_levels(page)
    assert levels[0] == 1, levels
    for before, after in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, f"heading level jumps from h{before} to h{after}: {levels}"
    times = page.locator("main time[datetime]")
    assert times.count() >= 1
    for value in times.evaluate_all("els => els.map(e => e.getAttribute('datetime'))"):
        datetime.fromisoformat(value)  # every <time> carries a machine-readable instant


def run_axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations for the loaded page (needs a context with bypass_csp=True)."""
    if not AXE_JS.exists():
        pytest.skip(f"{AXE_JS} is missing: run `make test` (npm ci) first")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        """tags => axe.run(document, {
            runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})""",
        AXE_TAGS,
    )
    violations = result["violations"]
    for v in violations:
        targets = [node["target"] for node in v["nodes"][:5]]
        print(f"axe {v['id']} ({v['impact']}): {v['help']} x{len(v['nodes'])} {targets}")
    return violations


@pytest.mark.browser(bypass_csp=True)
def test_status_page_structure_and_accessibility(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Screen reader and keyboard users find their way, and axe finds nothing serious."""
    expected = build_status_page(Audience.PUBLIC, now=demo_page.now).overall.description
    assert expected != "All Systems Operational"  # the demo has an open incident
    browser_page.goto(live_server + "/")
    assert_page_structure(browser_page)
    assert browser_page.locator(".banner-text").inner_text() == expected
    # A heading, so that jumping between headings reaches the page's main message.
    assert browser_page.get_by_role("heading", level=2, name=expected).count() == 1
    assert browser_page.title().startswith(expected)
    serious = [v for v in run_axe(browser_page) if v["impact"] in {"serious", "critical"}]
    assert not serious, [(v["id"], v["help"], len(v["nodes"])) for v in serious]


@pytest.mark.browser(bypass_csp=True)
def test_incident_page_structure_and_accessibility(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Incident pages, open and resolved, are as navigable as the status page."""
    for incident_id in (demo_page.open_incident_id, demo_page.resolved_incident_id):
        browser_page.goto(f"{live_server}/incidents/{incident_id}")
        assert_page_structure(browser_page)
        assert browser_page.get_by_role("heading", level=2, name="Updates").is_visible()
        serious = [v for v in run_axe(browser_page) if v["impact"] in {"serious", "critical"}]
        assert not serious, [(v["id"], v["help"], len(v["nodes"])) for v in serious]


@pytest.mark.browser(bypass_csp=True)
def test_history_page_accessibility(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """The history page, with incidents listed, passes the same checks."""
    browser_page.goto(f"{live_server}/history?month={demo_page.past_month}")
    assert browser_page.locator(".history-item").count() >= 1
    assert_page_structure(browser_page)
    serious = [v for v in run_axe(browser_page) if v["impact"] in {"serious", "critical"}]
    assert not serious, [(v["id"], v["help"], len(v["nodes"])) for v in serious]


@pytest.mark.browser(viewport={"width": 320, "height": 640})
def test_no_horizontal_scrolling_at_320_px(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Readers on the smallest phones never scroll sideways (WCAG 1.4.10 reflow)."""
    for path in ("/", f"/incidents/{demo_page.open_incident_id}", "/history"):
        browser_page.goto(live_server + path)
        widths = browser_page.evaluate(
            "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
        )
        assert widths[1] == 320
        assert widths[0] <= widths[1], f"{path} scrolls sideways: {widths}"


@pytest.mark.config(TIMEZONE="Europe/Berlin")
@pytest.mark.browser(java_script_enabled=False, timezone_id="America/New_York")
def test_page_is_complete_without_javascript(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """The script is optional: everything is there, in the page's zone, without it."""
    browser_page.goto(live_server + "/")
    expected = build_status_page(Audience.PUBLIC, now=demo_page.now).overall.description
    assert browser_page.get_by_role("heading", level=2, name=expected).is_visible()
    components = browser_page.locator(".components")
    for name in ("Core platform", "API", "Data", "Regions", "Email delivery"):
        assert components.get_by_text(name, exact=True).is_visible(), name
    databases = components.get_by_text("Databases", exact=True)
    assert not databases.is_visible()
    group_names = components.locator("li.group > details > summary > .name")
    group_names.get_by_text("Data", exact=True).click()  # <details> needs no script
    assert databases.is_visible()
    assert browser_page.get_by_role("heading", level=2, name="Past incidents").is_visible()
    assert browser_page.locator(".past-notice").first.is_visible()
    times = browser_page.locator("main time[data-local]")
    texts = times.all_inner_texts()
    assert texts and all(text.endswith((" CET", " CEST")) for text in texts), texts
    assert times.first.get_attribute("title") is None  # the script did not run


@pytest.mark.config(TIMEZONE="UTC")
@pytest.mark.browser(timezone_id="America/New_York")
def test_local_time_script_shows_the_readers_zone(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Readers see their own zone's times, and the page's original on hover."""
    response = browser_page.goto(live_server + "/")
    served = TIME_TAG.findall(response.text())  # the very HTML the page was built from
    assert served and all(text.endswith(" UTC") for _, _, text in served)
    shown = browser_page.locator("time[data-local]").evaluate_all(
        "els => els.map(e => [e.getAttribute('datetime'), e.textContent, e.title])"
    )
    assert len(shown) == len(served)
    # The footer must not claim every time is in UTC once the script has converted them.
    assert "your own time zone" in browser_page.get_by_role("contentinfo").inner_text()
    new_york = ZoneInfo("America/New_York")
    for (instant, kind, original), (attribute, shown_text, title) in zip(
        served, shown, strict=True
    ):
        text = shown_text.replace("\u202f", " ").replace("\xa0", " ")
        assert attribute == instant
        assert title == original  # the page's own text stays available as the tooltip
        moment = datetime.fromisoformat(instant).astimezone(new_york)
        assert moment.strftime("%I:%M %p") in text, (text, moment)
        assert re.search(r"\bE[SD]T\b", text), text
        if kind == "datetime":
            assert str(moment.year) in text and moment.strftime("%b") in text, text


def test_no_console_errors(
    live_server: str, browser_page: Page, console_errors: list[str], demo_page: DemoPage
) -> None:
    """A clean console: no CSP violations, script errors or missing files (favicons too)."""
    for path in ("/", f"/incidents/{demo_page.open_incident_id}", "/history"):
        browser_page.goto(live_server + path, wait_until="networkidle")
        icons = browser_page.eval_on_selector_all("link[rel~=icon]", "els => els.map(e => e.href)")
        assert icons, f"{path} names no favicon"
        for href in [*icons, live_server + "/favicon.ico"]:
            response = browser_page.request.get(href)
            assert response.ok, f"{href}: HTTP {response.status}"
            assert response.headers["content-type"].startswith("image/")
    assert not console_errors, console_errors


def _shares(png: bytes, palette: list[tuple[int, int, int]]) -> list[float]:
    """The share of a screenshot's pixels nearest to each colour of *palette* (antialiased
    edges fall to the nearer side, so two drawings of one shape agree within a few percent)."""
    with Image.open(io.BytesIO(png)) as image:
        pixels = list(image.convert("RGB").getcolors(maxcolors=image.width * image.height) or [])
    counts = [0] * len(palette)
    for n, colour in pixels:
        nearest = min(
            range(len(palette)),
            key=lambda i: sum((a - b) ** 2 for a, b in zip(colour, palette[i], strict=True)),
        )
        counts[nearest] += n
    total = sum(counts)
    return [count / total for count in counts]


def _rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(n) for n in re.findall(r"\d+", css)[:3])
    return red, green, blue


#: Beside an icon, the same shape drawn standalone with its intended colours as attributes.
DRAW_REFERENCE = """([icon, glyph]) => {
    const key = icon.querySelector('use').getAttribute('href').slice('#icon-'.length);
    const symbol = document.getElementById('icon-' + key);
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    svg.setAttribute('viewBox', '0 0 16 16');
    svg.setAttribute('class', 'reference');
    const box = icon.getBoundingClientRect();
    svg.style.cssText = `position:fixed;left:0;top:0;width:${box.width}px;height:${box.height}px`;
    for (const part of symbol.children) {
        const copy = part.cloneNode();
        const isGlyph = copy.getAttribute('class') === 'glyph';
        copy.removeAttribute('class');
        copy.setAttribute('fill', isGlyph ? 'none' : getComputedStyle(icon).color);
        if (isGlyph) {
            Object.entries({stroke: glyph, 'stroke-width': 2, 'stroke-linecap': 'round',
                            'stroke-linejoin': 'round'}).forEach(([k, v]) => copy.setAttribute(k, v));
        }
        svg.append(copy);
    }
    const backdrop = document.createElement('div');
    backdrop.className = 'reference';
    backdrop.style.cssText = `position:fixed;left:0;top:0;width:${box.width}px;height:${box.height}px;background:${getComputedStyle(icon.closest('.banner') || document.body).backgroundColor}`;
    document.body.append(backdrop, svg);
}"""


def test_status_icons_draw_the_sprites_shapes_in_their_colours(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Each icon is a reference to the page's one sprite: it must draw the same pixels as its
    shape drawn standalone in the intended colours (the status colour, the glyph white on a
    badge and in the banner's colour on the banner), never an empty box or a lost glyph."""
    browser_page.goto(live_server + "/")
    assert browser_page.locator("svg.icon-sprite symbol").count() == 5
    for selector, glyph_from in [
        (".banner .icon", ".banner"),
        (".status-partial_outage .icon", None),
        (".status-operational .icon", None),
    ]:
        icon = browser_page.locator(selector).first
        icon.evaluate("e => { e.style.width = e.style.height = '96px'; }")  # whole pixels
        glyph = "rgb(255, 255, 255)"
        if glyph_from:
            glyph = browser_page.eval_on_selector(
                glyph_from, "e => getComputedStyle(e).backgroundColor"
            )
        shape = icon.evaluate("e => getComputedStyle(e).color")
        backdrop = browser_page.eval_on_selector(
            glyph_from or "body", "e => getComputedStyle(e).backgroundColor"
        )
        palette = [_rgb(shape), _rgb(glyph), _rgb(backdrop)]
        drawn = _shares(icon.screenshot(), palette)
        browser_page.evaluate(DRAW_REFERENCE, [icon.element_handle(), glyph])
        expected = _shares(browser_page.locator("svg.reference").screenshot(), palette)
        browser_page.evaluate("document.querySelectorAll('.reference').forEach(e => e.remove())")
        assert drawn[0] > 0.1, (selector, "no shape drawn", drawn)
        for got, want in zip(drawn, expected, strict=True):
            assert abs(got - want) < 0.04, (selector, palette, drawn, expected)


def test_group_opens_and_closes_with_a_click(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Groups fold their components away and show them again on demand."""
    browser_page.goto(live_server + "/")
    group = browser_page.locator("li.group").filter(
        has=browser_page.locator("summary .name", has_text="Regions")
    )
    details = group.locator(":scope > details")
    summary = details.locator(":scope > summary")
    component = group.get_by_text("EU Central", exact=True)
    assert details.get_attribute("open") is None  # every region is operational: closed
    assert not component.is_visible()
    summary.click()
    assert details.get_attribute("open") is not None
    assert component.is_visible()
    assert group.locator("li.component").count() == 4
    summary.click()
    assert details.get_attribute("open") is None
    assert not component.is_visible()


def test_day_bars_are_also_told_in_words(
    live_server: str, browser_page: Page, demo_page: DemoPage
) -> None:
    """Status is never colour alone: every coloured day is listed in text, reachable by keyboard,
    and the day a pointer or the arrow keys pick says the same label."""
    browser_page.goto(live_server + "/")
    uptimes = browser_page.locator(".uptime")
    assert uptimes.count() >= 10
    listed_some = False
    for index in range(uptimes.count()):
        uptime = uptimes.nth(index)
        bars = uptime.locator("svg.bars")
        assert bars.get_attribute("aria-label").startswith("Daily status of")
        assert bars.get_attribute("role") == "slider" and bars.get_attribute("tabindex") == "0"
        # Each day's class as drawn: the colour of the path segment over it.
        drawn = bars.evaluate(
            """svg => { const days = [];
              for (const path of svg.querySelectorAll('path'))
                for (const [, x, w] of path.getAttribute('d').matchAll(/M(\\d+) \\.5h(\\d+)/g))
                  for (let d = +x; d < +x + +w; d++) days[d] = path.getAttribute('class');
              return days; }"""
        )
        assert len(drawn) == 90 and None not in drawn
        coloured = {str(day) for day, css in enumerate(drawn) if css not in ("o", "n")}
        worst = uptime.locator(".uptime-days li.by-status").all_text_contents()
        assert bool(worst) == bool(coloured)
        if "n" in drawn:
            assert "no data" in uptime.locator(".uptime-days li[data-n]").text_content()
        if coloured:  # opened, the list says each day's label
            uptime.locator(".uptime-days").evaluate("details => { details.open = true; }")
            uptime.locator(".uptime-days li[data-i]").first.wait_for(state="attached")
            assert uptime.locator(".uptime-days li.by-status").count() == 0
        words = dict(
            uptime.locator(".uptime-days li[data-i]").evaluate_all(
                "els => els.map(e => [e.dataset.i, e.textContent])"
            )
        )
        assert coloured <= set(words)
        for day in coloured:
            assert re.fullmatch(r"\d{1,2} \w{3} 20\d\d — .+", words[day]), words[day]
        shown = sorted(coloured, key=int)[:2] if bars.is_visible() else []  # groups open or not
        for day in shown:  # the slider reads the listed words
            bars.focus()
            browser_page.keyboard.press("Home")
            for _ in range(int(day)):
                browser_page.keyboard.press("ArrowRight")
            assert bars.get_attribute("aria-valuetext") == words[day]
            assert uptime.locator(".bar-tip").text_content() == words[day]
        listed_some = listed_some or bool(shown)
    assert listed_some, "the demo page should have days with issues in view"

    bars = browser_page.locator("svg.bars").first
    bars.focus()
    browser_page.keyboard.press("End")
    assert bars.get_attribute("aria-valuenow") == "90"
    box = bars.bounding_box()
    browser_page.mouse.move(box["x"] + 1, box["y"] + box["height"] / 2)  # the oldest day
    tip = browser_page.locator(".bar-tip").first
    assert tip.is_visible() and re.fullmatch(r"\d{1,2} \w{3} 20\d\d — .+", tip.text_content())
    assert bars.get_attribute("aria-valuenow") == "1"

    browser_page.reload()
    first = browser_page.locator(".uptime-days").first
    first.locator("summary").focus()
    browser_page.keyboard.press("Enter")
    assert first.get_attribute("open") is not None
    assert first.locator("li").first.is_visible()


def test_the_script_spells_each_days_code_as_the_server_words_its_label(
    live_server: str, browser_page: Page
) -> None:
    """The compact codes under the bars (`DayBar.code`) read in the browser exactly as
    `DayBar.label` reads on the server: minutes, hours, a whole day, notices, no data."""
    S = ComponentStatus
    first = date(2026, 10, 30)  # across the end of DST in Europe: the days are calendar days
    cases = [
        DayBar(day=first, status=S.MAJOR_OUTAGE, minutes={S.MAJOR_OUTAGE: 0}),
        DayBar(
            day=first + timedelta(days=1),
            status=S.DEGRADED_PERFORMANCE,
            minutes={S.DEGRADED_PERFORMANCE: 59, S.UNDER_MAINTENANCE: 60},
        ),
        DayBar(
            day=first + timedelta(days=2),
            status=S.PARTIAL_OUTAGE,
            minutes={S.PARTIAL_OUTAGE: 1440, S.MAJOR_OUTAGE: 61},
            related=["A & <b>", "B"],
        ),
        DayBar(day=first + timedelta(days=61), status=S.OPERATIONAL, related=["B"]),
        DayBar(
            day=first + timedelta(days=89),
            status=S.UNDER_MAINTENANCE,
            minutes={S.UNDER_MAINTENANCE: 135},
        ),
    ]
    notices: dict[str, int] = {}
    codes = [bar.code((bar.day - first).days, notices) for bar in cases]
    browser_page.goto(live_server + "/")
    spelled = browser_page.evaluate(
        "([codes, first, names]) => codes.map(c => window.statuspage.dayLabel(c, first, names))",
        [codes, first.isoformat(), list(notices)],
    )
    assert spelled == [bar.label for bar in cases]
