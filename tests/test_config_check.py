"""Settings that would break requests stop the app from starting, naming the setting."""

import pytest

from statuspage import create_app
from statuspage.config_check import ConfigError
from tests.conftest import make_app


@pytest.mark.parametrize(
    "setting,value",
    [
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("TIMEZONE", ""),
        ("TIMEZONE", "../../etc/passwd"),
        ("BASE_URL", "status.example.com"),
        ("BASE_URL", "ftp://status.example.com"),
        ("BASE_URL", "https://"),
        ("MAIL_PORT", 70000),
        ("MAIL_PORT", "25"),
        ("MAIL_TIMEOUT", 0),
        ("MAIL_BACKEND", "pigeon"),
        ("DIGEST_HOUR", 24),
        ("HISTORY_PAGE_SIZE", 0),
        ("FEED_ITEMS", "many"),
        ("LOGIN_RATE_LIMIT", "lots"),
        ("PAGE_NAME", " "),
        ("PUBLISH_DIR", "site"),
        ("PUBLISH_DIR", "/no/such/folder/site"),
        ("PUBLISH_POLL_SECONDS", 0),
        ("PUBLISH_NIGHTLY_HOUR", 24),
    ],
)
def test_a_bad_setting_stops_the_app_naming_it(setting, value):
    with pytest.raises(ConfigError, match=f"STATUSPAGE_{setting}="):
        make_app(**{setting: value})


def test_a_bad_time_zone_from_the_environment_is_refused_at_start(monkeypatch):
    monkeypatch.setenv("STATUSPAGE_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigError) as raised:
        create_app({"CONFIG_CLASS": "config.TestingConfig"})
    assert "STATUSPAGE_TIMEZONE='Europe/Atlantis'" in str(raised.value)


def test_every_problem_is_named_at_once():
    with pytest.raises(ConfigError) as raised:
        make_app(TIMEZONE="Nowhere", MAIL_PORT=0)
    assert "STATUSPAGE_TIMEZONE" in str(raised.value) and "STATUSPAGE_MAIL_PORT" in str(
        raised.value
    )


def test_good_settings_start(client):
    assert make_app(TIMEZONE="Europe/Paris", BASE_URL="https://status.example.com/").name
    assert client.get("/healthz").status_code == 200


def test_the_publish_folder_must_be_a_path_the_app_can_create(tmp_path):
    """An absolute path in a writable folder, not someone's real folder: the message says so."""
    real = tmp_path / "files"
    real.mkdir()
    with pytest.raises(ConfigError, match="exists and is not a published site's link"):
        make_app(PUBLISH_DIR=str(real))
    with pytest.raises(ConfigError, match="must be an absolute path"):
        make_app(PUBLISH_DIR="srv/site")
    with pytest.raises(ConfigError, match="must exist and be writable"):
        make_app(PUBLISH_DIR=str(tmp_path / "missing" / "site"))
    assert make_app(PUBLISH_DIR=str(tmp_path / "site")).config["PUBLISH_DIR"]
    assert make_app(PUBLISH_DIR=None).name
