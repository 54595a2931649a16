"""The internal feeds and JSON: read with a feed token or an API token, never without, never
cached where another caller could reach them, and never with internal notes."""

import re

import feedparser
import pytest

from statuspage.database import utcnow
from statuspage.enums import Role, TokenScope
from statuspage.services.accounts import api_tokens, users
from statuspage.services.unit import Actor
from tests.conftest import ACTOR
from tests.seed_feeds import BASE_URL, seed_rich_page

pytestmark = pytest.mark.config(BASE_URL=BASE_URL)

INTERNAL = ["/internal/history.atom", "/internal/history.rss", "/internal/api/v2/summary.json"]
PUBLIC = ["/history.atom", "/history.rss", "/api/v2/summary.json"]
#: What staff see and the public never does.
STAFF_ONLY = ["SECRET internal incident", "SECRET internal update", "SECRET internal maintenance"]
#: What neither sees in a feed or JSON: notes stay on the staff pages; scheduled text is not out.
NEVER = [
    "SECRET note",
    "SECRET maintenance note",
    "SECRET scheduled update",
    "SECRET scheduled maintenance update",
]


@pytest.fixture
def page(app):
    return seed_rich_page(utcnow().replace(microsecond=0))


@pytest.fixture
def feed_token(make_user):
    """A viewer's feed token: the least a signed-in user can have."""
    user = make_user(Role.VIEWER)
    return api_tokens.rotate_feed_token(user, actor=Actor.of(user))


def with_token(path, token):
    return f"{path}?token={token}"


@pytest.mark.parametrize("path", INTERNAL)
def test_a_feed_token_in_the_url_reads_the_internal_items(client, page, feed_token, path):
    """Feed readers cannot sign in or send headers: the token in the URL is enough."""
    response = client.get(with_token(path, feed_token))
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert feed_token not in text  # self links and entry links never repeat the secret
    summary = path.endswith(".json")
    shown = ["SECRET internal incident", "SECRET internal maintenance"] if summary else STAFF_ONLY
    for secret in shown:
        assert secret in text, secret
    for secret in NEVER:
        assert secret not in text, secret
    if summary:
        assert "Billing internals" in text
    else:
        assert feedparser.parse(response.data).bozo == 0
        assert "Internal Incident History" in text and "/internal/incidents/" in text


@pytest.mark.parametrize("path", INTERNAL)
def test_an_api_token_of_any_scope_reads_them_too(client, page, make_api_token, path):
    """Scripts already holding an API token need no second secret."""
    token = make_api_token(TokenScope.READ)
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert "SECRET internal incident" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", INTERNAL)
def test_without_a_valid_token_the_answer_is_401(client, page, feed_token, make_api_token, path):
    """No token, a wrong one, a guessed prefix or a signed-in session: nothing internal leaks."""
    attempts = [
        client.get(path),
        client.get(with_token(path, "spf_wrong")),
        client.get(with_token(path, feed_token[:-2])),
        client.get(path, headers={"Authorization": "Bearer sp_wrong"}),
        client.get(path, headers={"Authorization": f"Bearer {feed_token}"}),
        client.get(with_token(path, make_api_token(TokenScope.ADMIN))),
    ]
    for response in attempts:
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert "no-store" in response.headers["Cache-Control"]
        assert "SECRET" not in response.get_data(as_text=True)
        if path.endswith(".json"):
            assert response.get_json()["error"]["status"] == 401
        else:
            assert response.content_type.startswith("text/plain")


def test_a_signed_in_session_is_not_a_token(client, page, login_as):
    """The feed URLs are for readers without cookies; a session alone does not open them."""
    login_as(Role.ADMIN)
    for path in INTERNAL:
        assert client.get(path).status_code == 401


@pytest.mark.parametrize("path", INTERNAL)
def test_after_rotation_the_old_feed_token_is_refused(client, page, make_user, path):
    """Rotating is how a leaked feed URL is shut."""
    user = make_user(Role.EDITOR)
    old = api_tokens.rotate_feed_token(user, actor=Actor.of(user))
    assert client.get(with_token(path, old)).status_code == 200
    new = api_tokens.rotate_feed_token(user, actor=Actor.of(user))
    assert client.get(with_token(path, old)).status_code == 401
    assert client.get(with_token(path, new)).status_code == 200


def test_a_deactivated_users_feed_token_stops_working(client, page, make_user):
    """Someone who left cannot keep reading the internal page through a feed reader."""
    user = make_user(Role.VIEWER)
    token = api_tokens.rotate_feed_token(user, actor=Actor.of(user))
    assert client.get(with_token(INTERNAL[0], token)).status_code == 200
    users.set_user_active(user, False, actor=ACTOR)
    assert client.get(with_token(INTERNAL[0], token)).status_code == 401


@pytest.mark.parametrize("path", INTERNAL)
def test_internal_answers_are_private_and_the_cache_checks_the_token_first(
    client, page, feed_token, path
):
    """A cached internal body is only ever served after the token is checked, and the token is
    not part of what a shared cache may keep."""
    first = client.get(with_token(path, feed_token))
    assert first.status_code == 200
    control = first.headers["Cache-Control"]
    assert "private" in control and "public" not in control
    assert "Access-Control-Allow-Origin" not in first.headers
    # the same URL again is served from the cache, but only with the token
    assert client.get(with_token(path, feed_token)).data == first.data
    assert client.get(path).status_code == 401
    assert client.get(with_token(path, "spf_" + "x" * 43)).status_code == 401
    conditional = {"If-None-Match": first.headers["ETag"]}
    assert client.get(path, headers=conditional).status_code == 401
    assert client.get(with_token(path, feed_token), headers=conditional).status_code == 304


def test_the_token_is_never_kept_in_a_cache_key(app, client, page, feed_token):
    """Cache keys live in Redis in production: a secret must not end up there."""
    from statuspage.extensions import cache

    for path in INTERNAL:
        client.get(with_token(path, feed_token))
    keys = " ".join(str(k) for k in cache.cache.store.entries)  # BoundedCache in tests
    assert "/internal/history.atom" in keys and feed_token not in keys


@pytest.mark.parametrize("path", PUBLIC)
def test_public_feeds_and_json_still_show_nothing_internal(client, page, path):
    """The internal feeds are new doors; the public ones must stay as they were."""
    text = client.get(path).get_data(as_text=True)
    for secret in [*STAFF_ONLY, *NEVER, "Billing internals"]:
        assert secret not in text, (path, secret)


def test_the_account_page_makes_shows_once_and_revokes_a_feed_token(client, login_as):
    """Any signed-in user can make a feed token; its URLs are shown once, then only its date."""
    login_as(Role.VIEWER)
    assert "You have no feed token." in client.get("/account").text
    made = client.form("/account/feed-token")
    assert made.status_code == 200 and "no-store" in made.headers["Cache-Control"]
    urls = re.findall(r'value="(https://status\.example\.com/internal/[^"]+)"', made.text)
    assert len(urls) == 3 and all("?token=spf_" in url for url in urls)
    token = urls[0].split("token=")[1]
    assert client.get(with_token(INTERNAL[0], token)).status_code == 200
    later = client.get("/account").text
    assert "You have a feed token" in later and token not in later
    replaced = client.form("/account/feed-token")
    assert token not in replaced.text
    assert client.get(with_token(INTERNAL[0], token)).status_code == 401
    new_token = re.search(r"token=(spf_[A-Za-z0-9_-]+)", replaced.text).group(1)
    revoked = client.form("/account/feed-token/revoke", follow_redirects=True)
    assert "Feed token revoked" in revoked.text and "You have no feed token." in revoked.text
    assert client.get(with_token(INTERNAL[0], new_token)).status_code == 401


def test_feed_token_forms_need_the_csrf_token_and_a_session(client, login_as):
    """A cross-site form cannot rotate someone's token (and learn nothing, but break their feed)."""
    assert client.post("/account/feed-token").status_code == 400
    client.csrf_token()
    assert client.form("/account/feed-token").status_code == 302  # to the login page
    login_as(Role.VIEWER)
    assert client.post("/account/feed-token").status_code == 400
    assert client.post("/account/feed-token/revoke").status_code == 400
