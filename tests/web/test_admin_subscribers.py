"""The subscriber pages of the admin: list, one subscriber, resend and remove, CSV export and
import, and the delivery dashboard, through the web client and a real SMTP server."""

import csv
import io
import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from statuspage.database import utcnow
from statuspage.enums import (
    Cadence,
    ComponentStatus,
    DeliveryKind,
    DeliveryState,
    Role,
    SubscriberState,
)
from statuspage.extensions import db
from statuspage.models import Delivery, Subscriber
from statuspage.services.outbox import delivery
from statuspage.services.outbox import events as outbox_events
from statuspage.services.site import heartbeat as site
from statuspage.services.subscribers import signup as subscribers
from tests.conftest import ACTOR


def add(email, *, cadence=Cadence.IMMEDIATE, confirmed=True, now=None, **kw):
    subscriber = subscribers.subscribe(email=email, cadence=cadence, actor=ACTOR, now=now, **kw)
    if confirmed:
        subscribers.confirm_subscription(subscriber, actor=ACTOR, now=now)
    return subscriber


def by_email(email):
    return db.session.scalars(sa.select(Subscriber).where(Subscriber.email == email)).one_or_none()


def listed(html):
    """The addresses in the list, in order."""
    return re.findall(r'<a href="/admin/subscribers/\d+">([^<]+)</a>', html)


def cell(html, ident):
    match = re.search(rf'id="{ident}"[^>]*>(?:<a [^>]*>)?(\d+)', html)
    assert match, ident
    return int(match.group(1))


def deliveries(kind=None, to=None):
    query = sa.select(Delivery)
    if kind is not None:
        query = query.where(Delivery.kind == kind)
    if to is not None:
        query = query.where(Delivery.to_address == to)
    return db.session.scalars(query.order_by(Delivery.id)).all()


# ---- the list -------------------------------------------------------------------------------


def test_list_searches_filters_and_counts(client, login_as, count_queries):
    add("ada@example.com")
    add("grace@example.com", cadence=Cadence.DAILY)
    add("per%cent@example.com", confirmed=False)
    add("under_score@example.com", cadence=Cadence.WEEKLY, confirmed=False)
    gone = add("gone@example.org")
    subscribers.unsubscribe(gone, actor=ACTOR)
    login_as(Role.EDITOR)

    page = client.get("/admin/subscribers")
    assert page.status_code == 200
    assert set(listed(page.text)) == {
        "ada@example.com",
        "grace@example.com",
        "per%cent@example.com",
        "under_score@example.com",
        "gone@example.org",
    }
    assert "5 subscribers in all." in page.text
    assert cell(page.text, "state-active") == 2
    assert cell(page.text, "state-pending") == 2
    assert cell(page.text, "state-unsubscribed") == 1
    assert cell(page.text, "state-paused") == 0
    assert cell(page.text, "cadence-immediate") == 3
    assert cell(page.text, "cadence-daily") == 1
    assert cell(page.text, "cadence-weekly") == 1
    assert "Pending</span>" in page.text  # states in words, not only colour
    assert 'href="/admin/subscribers/import"' not in page.text  # editors read only

    assert listed(client.get("/admin/subscribers?q=%25").text) == ["per%cent@example.com"]
    assert listed(client.get("/admin/subscribers?q=_").text) == ["under_score@example.com"]
    assert listed(client.get("/admin/subscribers?q=GRACE").text) == ["grace@example.com"]
    assert set(listed(client.get("/admin/subscribers?q=example.com").text)) == {
        "ada@example.com",
        "grace@example.com",
        "per%cent@example.com",
        "under_score@example.com",
    }
    assert set(listed(client.get("/admin/subscribers?state=pending").text)) == {
        "per%cent@example.com",
        "under_score@example.com",
    }
    assert listed(client.get("/admin/subscribers?state=pending&cadence=weekly").text) == [
        "under_score@example.com"
    ]
    nothing = client.get("/admin/subscribers?q=nobody")
    assert "No subscribers match." in nothing.text and "0 subscribers match." in nothing.text

    for bad in ("state=gone", "cadence=yearly", "page=0", "page=x"):
        response = client.get(f"/admin/subscribers?{bad}")
        assert response.status_code == 400 and 'class="errors"' in response.text, bad

    with count_queries() as statements:
        client.get("/admin/subscribers")
    grouped = [s for s in statements if "GROUP BY" in s]
    assert len(grouped) == 2  # per state and per cadence, however many subscribers
    assert len(statements) < 15


def test_list_pagination_keeps_the_filters(client, login_as, now):
    for n in range(53):
        add(f"reader{n:02}@example.com", now=now + timedelta(minutes=n))
    add("daily@example.com", cadence=Cadence.DAILY, now=now)
    login_as(Role.EDITOR)
    first = client.get("/admin/subscribers?cadence=immediate")
    assert "Page 1 of 2" in first.text and "53 subscribers match." in first.text
    assert listed(first.text)[0] == "reader52@example.com"  # newest first
    assert len(listed(first.text)) == 50
    assert 'href="/admin/subscribers?page=2&amp;cadence=immediate"' in first.text
    second = client.get("/admin/subscribers?page=2&cadence=immediate")
    assert listed(second.text) == [
        "reader02@example.com",
        "reader01@example.com",
        "reader00@example.com",
    ]
    assert client.get("/admin/subscribers?page=9&cadence=immediate").status_code == 200


# ---- one subscriber -------------------------------------------------------------------------


def test_subscriber_page_shows_its_delivery_log(
    client, login_as, smtp_server, smtp_mailer, make_group, make_component, make_incident
):
    core = make_group(name="Core")
    api = make_component(name="API", group=core)
    make_component(name="CDN")
    reader = add("reader@example.com", component_ids=[api.id], group_ids=[core.id])
    add("bounce@example.com")
    smtp_server.sink.refuse["bounce@example.com"] = "550 5.1.1 No such user"
    delivery.deliver_pending(smtp_mailer)  # the two confirmations
    make_incident({api: ComponentStatus.MAJOR_OUTAGE}, name="API down", now=utcnow())
    outbox_events.fan_out_events()
    delivery.deliver_pending(smtp_mailer)
    assert [m["To"] for m in smtp_server.sink.messages] == ["reader@example.com"] * 2
    login_as(Role.EDITOR)

    page = client.get(f"/admin/subscribers/{reader.id}")
    assert page.status_code == 200
    assert "<h1>reader@example.com</h1>" in page.text
    assert "Core (group), Core - API" in page.text and "CDN" not in page.text
    rows = re.findall(
        r"<td>(Confirmation|Notification)</td>\s*<td><span class=\"pill pill-(\w+)\">", page.text
    )
    assert rows == [("Notification", "sent"), ("Confirmation", "sent")]  # newest first
    sent_ids = [m["Message-ID"] for m in smtp_server.sink.messages]
    for message_id in sent_ids:
        assert message_id.replace("<", "&lt;").replace(">", "&gt;") in page.text
    assert "Resend confirmation" not in page.text and "/remove" not in page.text  # editor

    bounced = by_email("bounce@example.com")
    page = client.get(f"/admin/subscribers/{bounced.id}").text
    assert "pill-failed" in page and "550" in page and "No such user" in page
    assert "<dt>Failures in a row</dt><dd>2</dd>" in page

    assert client.get("/admin/subscribers/987654").status_code == 404
    missing = client.get("/admin/subscribers/99999999999999999999")
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert client.get(f"/admin/subscribers/{reader.id}?page=x").status_code == 400


def test_the_delivery_log_is_paginated(client, login_as, make_component, make_incident):
    web = make_component(name="Web")
    reader = add("reader@example.com")
    for n in range(26):
        make_incident({web: ComponentStatus.DEGRADED_PERFORMANCE}, name=f"Slow {n}", now=utcnow())
    outbox_events.fan_out_events(limit=100)
    login_as(Role.EDITOR)
    first = client.get(f"/admin/subscribers/{reader.id}").text
    assert "27 emails, newest first." in first and "Page 1 of 2" in first
    assert first.count("<td>Notification</td>") == 25
    second = client.get(f"/admin/subscribers/{reader.id}?page=2").text
    assert second.count("<td>Notification</td>") == 1 and "<td>Confirmation</td>" in second


# ---- resend and remove ----------------------------------------------------------------------


def test_resend_confirmation_only_when_pending_and_not_just_sent(client, login_as):
    pending = add("pending@example.com", confirmed=False, now=utcnow() - timedelta(hours=1))
    active = add("active@example.com")
    login_as(Role.ADMIN)
    page = client.get(f"/admin/subscribers/{pending.id}").text
    assert "Resend confirmation email" in page

    response = client.form(f"/admin/subscribers/{pending.id}/resend", follow_redirects=True)
    assert response.status_code == 200 and "is queued" in response.text
    assert len(deliveries(DeliveryKind.CONFIRMATION, "pending@example.com")) == 2

    again = client.form(f"/admin/subscribers/{pending.id}/resend", follow_redirects=True)
    assert "Too soon" in again.text and "Nothing was queued" in again.text
    assert len(deliveries(DeliveryKind.CONFIRMATION, "pending@example.com")) == 2

    assert "Resend confirmation" not in client.get(f"/admin/subscribers/{active.id}").text
    refused = client.form(f"/admin/subscribers/{active.id}/resend", follow_redirects=True)
    assert "only pending subscribers" in refused.text
    assert len(deliveries(DeliveryKind.CONFIRMATION, "active@example.com")) == 1

    expired = client.post(f"/admin/subscribers/{pending.id}/resend", data={"csrf_token": "x"})
    assert expired.status_code == 400
    assert client.form("/admin/subscribers/987654/resend").status_code == 404


def test_remove_asks_first_then_deletes_the_subscriber_and_its_log(client, login_as):
    reader_id = add("leaving@example.com").id
    add("staying@example.com")
    login_as(Role.ADMIN)
    confirm = client.get(f"/admin/subscribers/{reader_id}/remove")
    assert confirm.status_code == 200 and "Remove leaving@example.com?" in confirm.text
    assert by_email("leaving@example.com") is not None  # a GET removes nothing

    response = client.form(f"/admin/subscribers/{reader_id}/remove")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/subscribers"
    assert by_email("leaving@example.com") is None
    assert deliveries(to="leaving@example.com") == []
    assert by_email("staying@example.com") is not None and deliveries(to="staying@example.com")
    assert "leaving@example.com removed" in client.get("/admin/subscribers").text
    assert client.get(f"/admin/subscribers/{reader_id}").status_code == 404
    assert client.form(f"/admin/subscribers/{reader_id}/remove").status_code == 404


def test_editors_cannot_resend_or_remove(client, login_as):
    reader = add("reader@example.com", confirmed=False)
    login_as(Role.EDITOR)
    assert client.form(f"/admin/subscribers/{reader.id}/resend").status_code == 403
    assert client.form(f"/admin/subscribers/{reader.id}/remove").status_code == 403
    assert by_email("reader@example.com") is not None


# ---- export ---------------------------------------------------------------------------------


def test_export_is_a_formula_safe_csv_of_everyone(
    client, login_as, make_group, make_component, now
):
    group = make_group(name="@Edge")
    component = make_component(name='=HYPERLINK("http://evil")', group=None)
    add("ada@example.com", now=now)
    add("-minus@example.com", cadence=Cadence.DAILY, confirmed=False, now=now + timedelta(hours=1))
    add(
        "scoped@example.com",
        component_ids=[component.id],
        group_ids=[group.id],
        now=now + timedelta(hours=2),
    )
    login_as(Role.ADMIN)

    response = client.get("/admin/subscribers/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="subscribers-')
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[0] == ["email", "state", "cadence", "scope", "created_at", "confirmed_at"]
    assert rows[1] == [
        "ada@example.com",
        "active",
        "immediate",
        "everything",
        "2026-11-12T12:00:00+00:00",
        "2026-11-12T12:00:00+00:00",
    ]
    assert rows[2] == [
        "'-minus@example.com",
        "pending",
        "daily",
        "everything",
        "2026-11-12T13:00:00+00:00",
        "",
    ]
    assert rows[3][0] == "scoped@example.com"
    assert rows[3][3] == '\'@Edge (group); =HYPERLINK("http://evil")'
    assert len(rows) == 4
    assert not any(value.startswith(("=", "+", "-", "@")) for row in rows for value in row)


def test_an_exported_file_imports_back_without_changes(client, login_as):
    add("ada@example.com")
    add("-minus@example.com", cadence=Cadence.WEEKLY)
    login_as(Role.ADMIN)
    exported = client.get("/admin/subscribers/export.csv").data
    result = client.form(
        "/admin/subscribers/import", {"file": (io.BytesIO(exported), "export.csv")}
    )
    assert result.status_code == 200
    assert imported(result.text) == {"created": 0, "already": 2, "merged": 0, "bad": 0}


# ---- import ---------------------------------------------------------------------------------

IMPORT = (
    "email,cadence\n"  # 1
    "new1@example.com,daily\n"  # 2 created
    "Existing@Example.com,weekly\n"  # 3 already subscribed: left unchanged
    "NEW1@EXAMPLE.COM,hourly\n"  # 4 duplicate of line 2, other case: merged
    "not-an-address,daily\n"  # 5 bad address
    "new2@example.com,yearly\n"  # 6 unknown cadence
    "\n"  # 7 blank: ignored
    " , \n"  # 8 an empty line with content
    "new3@example.com\n"  # 9 missing column
    '"new4@example.com",\n'  # 10 created, immediate
)


def imported(html):
    return {key: cell(html, key) for key in ("created", "already", "merged", "bad")}


def problems(html):
    return re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td>", html)


def upload(client, content, name="subscribers.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.form("/admin/subscribers/import", {"file": (io.BytesIO(data), name)})


def test_import_adds_new_addresses_once_and_reports_bad_rows(client, login_as):
    existing = add("existing@example.com")
    login_as(Role.ADMIN)
    assert client.get("/admin/subscribers/import").status_code == 200

    result = upload(client, IMPORT)
    assert result.status_code == 200
    assert imported(result.text) == {"created": 2, "already": 1, "merged": 1, "bad": 4}
    reported = problems(result.text)
    assert [int(line) for line, _ in reported] == [5, 6, 8, 9]
    assert "Invalid email address" in reported[0][1]
    assert "Unknown cadence “yearly”" in reported[1][1]
    assert "Empty row" in reported[2][1]
    assert "Missing column" in reported[3][1]

    new1, new4 = by_email("new1@example.com"), by_email("new4@example.com")
    assert new1.state is SubscriberState.PENDING and new1.cadence is Cadence.DAILY
    assert new4.state is SubscriberState.PENDING and new4.cadence is Cadence.IMMEDIATE
    assert by_email("new2@example.com") is None and by_email("new3@example.com") is None
    unchanged = by_email("existing@example.com")
    assert unchanged.state is SubscriberState.ACTIVE and unchanged.cadence is Cadence.IMMEDIATE
    confirmations = [d.to_address for d in deliveries(DeliveryKind.CONFIRMATION)]
    assert sorted(confirmations) == ["existing@example.com", "new1@example.com", "new4@example.com"]
    assert len(deliveries(to=existing.email)) == 1  # its own confirmation, nothing new

    again = upload(client, IMPORT)
    assert imported(again.text) == {"created": 0, "already": 3, "merged": 1, "bad": 4}
    assert len(deliveries(DeliveryKind.CONFIRMATION)) == 3
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 3


def test_imported_subscribers_get_their_confirmation_mail(
    client, login_as, smtp_server, smtp_mailer
):
    login_as(Role.ADMIN)
    upload(client, "Email;ignored\nada@example.com\n".replace(";", ","))
    delivery.deliver_pending(smtp_mailer)
    [message] = smtp_server.sink.to("ada@example.com")
    assert "Confirm" in message["Subject"]


@pytest.mark.parametrize(
    "content,name,message",
    [
        ("email\nj\xe9r\xf4me@example.com\n".encode("latin-1"), "list.csv", "not UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "list.csv", "not UTF-8"),
        (b"email\x00\nada@example.com\n", "list.csv", "not a CSV text file"),
        ("name,cadence\nAda,daily\n", "list.csv", "one called “email”"),
        ("", "list.csv", "The file is empty."),
        ('email\n"ada@example.com"x\n', "list.csv", "not valid CSV (line 2"),
        ("email\nada@example.com\n", "list.txt", "Upload a .csv file."),
    ],
)
def test_import_refuses_what_is_not_a_utf8_csv(client, login_as, content, name, message):
    login_as(Role.ADMIN)
    response = upload(client, content, name)
    assert response.status_code == 422
    assert message in response.text and 'aria-invalid="true"' in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_import_without_a_file(client, login_as):
    login_as(Role.ADMIN)
    response = client.form("/admin/subscribers/import", {})
    assert response.status_code == 422 and "Choose a CSV file." in response.text


@pytest.mark.config(MAX_CONTENT_LENGTH=64 * 1024)
def test_an_import_larger_than_max_content_length_is_refused(client, login_as, app):
    login_as(Role.ADMIN)
    big = "email\n" + "".join(f"reader{n}@example.com\n" for n in range(5_000))
    assert len(big) > app.config["MAX_CONTENT_LENGTH"]
    response = upload(client, big)
    assert response.status_code == 413 and "Request too large" in response.text
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Subscriber)) == 0


def test_a_byte_order_mark_and_windows_line_ends_are_fine(client, login_as):
    login_as(Role.ADMIN)
    result = upload(client, "\ufeffEMAIL , Cadence\r\nada@example.com, Weekly \r\n\r\nbad\r\n")
    assert imported(result.text) == {"created": 1, "already": 0, "merged": 0, "bad": 1}
    assert problems(result.text)[0][0] == "4"
    assert by_email("ada@example.com").cadence is Cadence.WEEKLY


# ---- the delivery dashboard -----------------------------------------------------------------


@pytest.mark.config(
    MAIL_BACKEND="smtp",
    MAIL_SERVER="smtp.example.net",
    MAIL_PORT=587,
    MAIL_USE_TLS=True,
    MAIL_USERNAME="mailer",
    MAIL_PASSWORD="very-secret-password",
    MAIL_DEFAULT_SENDER="status@example.net",
)
def test_the_dashboard_counts_the_outbox(client, login_as, smtp_server, smtp_mailer, make_incident):
    add("ok@example.com")
    add("refused@example.com")
    leaver = add("leaver@example.com")
    smtp_server.sink.refuse["refused@example.com"] = "550 5.1.1 Mailbox unavailable"
    delivery.deliver_pending(smtp_mailer)  # confirmations: 2 sent, 1 failed
    first = make_incident(name="First outage", now=utcnow())
    outbox_events.fan_out_events()
    delivery.deliver_pending(smtp_mailer)  # notifications: 2 sent, 1 failed
    add("later@example.com", confirmed=False, now=utcnow() - timedelta(hours=2))  # pending
    make_incident(name="Second outage", now=utcnow())
    outbox_events.fan_out_events()  # 3 pending notifications
    subscribers.unsubscribe(leaver, actor=ACTOR)  # one of them skipped
    login_as(Role.EDITOR)

    page = client.get("/admin/mail")
    assert page.status_code == 200
    counts = {state.value: cell(page.text, f"count-{state.value}") for state in DeliveryState}
    assert counts == {"pending": 3, "sending": 0, "sent": 4, "failed": 2, "skipped": 1}
    assert "waiting 2 h" in page.text
    failures = page.text.split('id="failures-title"')[1].split("</section>")[0]
    assert failures.count("refused@example.com") == 2 and "550" in failures
    events = page.text.split('id="events-title"')[1].split("</section>")[0]
    rows = re.findall(r">([^<]+ outage)</a>.*?<td>(\d+)</td>\s*<td>(\d+)</td>", events, re.S)
    assert rows == [("Second outage", "3", "0"), ("First outage", "3", "2")]
    assert f'href="/admin/incidents/{first.id}"' in events  # the notice's own admin page
    settings = page.text.split('id="settings-title"')[1].split("</section>")[0]
    for text in ("smtp.example.net", "587", "STARTTLS", "mailer", "status@example.net"):
        assert text in settings
    assert "very-secret-password" not in page.text
    assert "The scheduler is not running." in page.text
    assert "Send a test email" not in page.text  # editors read only

    site.record_heartbeat()
    page = client.get("/admin/mail").text
    assert "The scheduler is not running." not in page and "Scheduler: running" in page


def test_a_test_email_goes_through_the_outbox(client, login_as, smtp_server, smtp_mailer):
    login_as(Role.ADMIN)
    assert "No test email sent yet." in client.get("/admin/mail").text
    invalid = client.form("/admin/mail/test", {"email": "not an address"})
    assert invalid.status_code == 422 and "Invalid email address." in invalid.text
    assert deliveries(DeliveryKind.TEST) == []

    response = client.form("/admin/mail/test", {"email": "Ops@Example.com"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/mail#test-mail"
    page = client.get("/admin/mail").text
    assert "Test email to ops@example.com queued" in page and "within seconds" in page
    tests = page.split('id="test-mail"')[1]
    assert "ops@example.com" in tests and "pill-pending" in tests
    assert smtp_server.sink.messages == []  # the web request never talks to SMTP

    report = delivery.deliver_pending(smtp_mailer)
    assert report.sent == 1
    [message] = smtp_server.sink.to("ops@example.com")
    assert "Test message" in message["Subject"]
    tests = client.get("/admin/mail").text.split('id="test-mail"')[1]
    assert "pill-sent" in tests and ">Sent</span>" in tests
