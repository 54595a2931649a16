"""An XSS corpus in every place users type text, rendered in Chromium: no script may run.

The pages are loaded with the Content-Security-Policy bypassed, so what is tested is the
escaping and sanitising itself; the CSP is a second wall, not the first.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page

from statuspage.database import utcnow
from statuspage.enums import ComponentStatus, IncidentStatus, Role, Visibility
from statuspage.services.accounts import users
from statuspage.services.components import tree as components
from statuspage.services.notices import incidents, maintenance, timeline
from statuspage.services.site import configure as settings
from tests.conftest import ACTOR, PASSWORD

pytestmark = pytest.mark.browser(bypass_csp=True)

PAYLOADS = [
    "<script>xss()</script>",
    '"><script>xss()</script>',
    "'><img src=x onerror=xss()>",
    '<img src=x onerror="xss()">',
    "<svg onload=xss()>",
    "<svg><script>xss()</script></svg>",
    '<iframe srcdoc="<script>parent.xss()</script>"></iframe>',
    "<body onload=xss()>",
    "<details open ontoggle=xss()>",
    "<input autofocus onfocus=xss()>",
    "<select autofocus onfocus=xss()></select>",
    "<textarea autofocus onfocus=xss()></textarea>",
    "<video><source onerror=xss()></video>",
    "<audio src=x onerror=xss()></audio>",
    "<marquee onstart=xss()>m</marquee>",
    '<object data="javascript:xss()"></object>',
    '<embed src="javascript:xss()">',
    '<form><button formaction="javascript:xss()">x</button></form>',
    "</title><script>xss()</script>",
    "</textarea><script>xss()</script>",
    "</style><script>xss()</script>",
    "</script><script>xss()</script>",
    "<!--><script>xss()</script>",
    "<![CDATA[><script>xss()</script>]]>",
    "{{constructor.constructor('xss()')()}}",
    "${xss()}",
    "';xss();'",
    '";xss();"',
    '\\";xss();//',
    '<img src="x" onerror="&#120;ss()">',
    "<img src=x onerror=&#x78;ss()>",
    "<IMG SRC=x OnErRoR=xss()>",
    "<img/src=x/onerror=xss()>",
    "<img src=x onerror=xss()//",
    "<svg/onload=xss()//",
    "<scr<script>ipt>xss()</scr</script>ipt>",
    "<img src=`x` onerror=xss()>",
    '<div style="background:url(javascript:xss())">d</div>',
    '<meta http-equiv="refresh" content="0;url=javascript:xss()">',
    '<base href="javascript:xss()//">',
    "<body/onpageshow=xss()>",
    "<style>@import 'javascript:xss()';</style>",
    "<svg><animate onbegin=xss() attributeName=x dur=1s>",
    "<svg><set onbegin=xss() attributeName=x to=1>",
    '<iframe src="javascript:xss()"></iframe>',
    "<img src=x:x onerror=xss()>",
    "<image src=x onerror=xss()>",
    "<math><mtext><table><mglyph><style><img src=x onerror=xss()>",
    '<a href="javascript:xss()" id=jslink>x</a>',
    '<a href="&#106;avascript:xss()">x</a>',
    "[md](javascript:xss())",
    "[md](JaVaScRiPt:xss())",
    '![md](x" onerror="xss())',
    "[md](data:text/html;base64,PHNjcmlwdD54c3MoKTwvc2NyaXB0Pg==)",
    '<noscript><p title="</noscript><img src=x onerror=xss()>">',
    "<a href=' javascript:xss()'>x</a>",
    '<svg><a xlink:href="javascript:xss()"><text y=20>x</text></a></svg>',
    "<img srcset=x onerror=xss()>",
    "<picture><source srcset=x><img src=x onerror=xss()></picture>",
    "<table background=javascript:xss()>",
]


def test_the_corpus_is_large_enough():
    assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.fixture
def poisoned(app, make_user):
    """Every payload in every kind of user text the pages show."""
    now = utcnow()
    admin = make_user(Role.ADMIN, email="admin@example.com", name=PAYLOADS[0])
    group = components.create_group(
        name=PAYLOADS[1], description=PAYLOADS[2], actor=ACTOR, now=now - timedelta(days=5)
    )
    made = []
    for i, payload in enumerate(PAYLOADS):
        made.append(
            components.create_component(
                name=payload[:255],
                description=PAYLOADS[-1 - i],
                group=group if i % 2 else None,
                actor=ACTOR,
                now=now - timedelta(days=5),
            )
        )
    ids = {}
    for i in range(0, len(PAYLOADS), 4):
        incident = incidents.open_incident(
            name=PAYLOADS[i],
            body="\n\n".join(PAYLOADS[i : i + 4]),
            components={made[i]: ComponentStatus.MAJOR_OUTAGE},
            actor=ACTOR,
            now=now - timedelta(hours=2),
        )
        incidents.post_update(
            incident,
            status=IncidentStatus.IDENTIFIED,
            body=PAYLOADS[(i + 7) % len(PAYLOADS)],
            actor=ACTOR,
            now=now - timedelta(hours=1),
        )
        timeline.add_note(incident, body=PAYLOADS[(i + 9) % len(PAYLOADS)], actor=ACTOR, now=now)
        ids.setdefault("incident", incident.id)
    window = maintenance.schedule_maintenance(
        name=PAYLOADS[5],
        body="\n\n".join(PAYLOADS[10:20]),
        components=made[:3],
        scheduled_for=now + timedelta(days=1),
        scheduled_until=now + timedelta(days=1, hours=1),
        visibility=Visibility.PUBLIC,
        actor=ACTOR,
        now=now,
    )
    ids["maintenance"], ids["component"] = window.id, made[3].id
    settings.update_settings(
        page_name=PAYLOADS[3][:100],
        base_url="http://127.0.0.1:5000",
        timezone="UTC",
        brand_colour=None,
        support_url=None,
        footer_text=" ".join(PAYLOADS[20:26])[:500],
        default_notify=True,
        actor=ACTOR,
    )
    users.create_user(
        email="viewer@example.com",
        name=PAYLOADS[4],
        password=PASSWORD,
        role=Role.VIEWER,
        actor=ACTOR,
    )
    return admin, ids


def visit(page: Page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("load")
    page.wait_for_timeout(150)  # let autofocus, ontoggle and animations fire if they can


def test_no_payload_runs_anywhere(live_server, browser_page, poisoned):
    admin, ids = poisoned
    page = browser_page
    fired: list[str] = []
    page.on("dialog", lambda dialog: (fired.append(f"dialog on {page.url}"), dialog.dismiss()))
    page.add_init_script(
        "window.__hits = []; window.xss = function () { window.__hits.push(location.href); };"
    )
    public = [
        "/",
        f"/incidents/{ids['incident']}",
        f"/maintenance/{ids['maintenance']}",
        "/history",
        "/api",
        "/subscribe",
        f"/history?component={ids['component']}",
    ]
    for path in public:
        visit(page, live_server + path)
        fired += page.evaluate("window.__hits")
        bad_links = page.evaluate(
            "Array.from(document.querySelectorAll('a[href]')).map(a => a.protocol)"
            ".filter(p => !['http:', 'https:', 'mailto:'].includes(p))"
        )
        assert bad_links == [], (path, bad_links)
    visit(page, live_server + "/login")
    page.fill("input[name=email]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    staff = [
        "/internal",
        f"/internal/incidents/{ids['incident']}",
        "/admin/",
        "/admin/incidents",
        f"/admin/incidents/{ids['incident']}",
        "/admin/components",
        f"/admin/components/{ids['component']}/edit",
        "/admin/maintenance",
        f"/admin/maintenance/{ids['maintenance']}",
        "/admin/users",
        "/admin/settings",
        "/admin/audit",
        "/account",
    ]
    for path in staff:
        visit(page, live_server + path)
        assert "/login" not in page.url, path
        fired += page.evaluate("window.__hits")
    assert fired == []
    # the payloads are shown as text, not dropped
    visit(page, live_server + "/admin/components")
    assert "<script>xss()</script>" in page.inner_text("main")
