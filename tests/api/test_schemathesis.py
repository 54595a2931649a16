"""Property-based checks of the public API v2 against its own OpenAPI description."""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from statuspage.extensions import db
from tests.api.conftest import seed_rich_page
from tests.conftest import make_app

# Built at import (schemathesis collects operations then); its own in-memory database.
APP = make_app(SQLALCHEMY_DATABASE_URI="sqlite://")
with APP.app_context():
    db.create_all()
# The management API needs a token: tests/api/test_manage_schemathesis.py checks it.
schema = schemathesis.openapi.from_wsgi("/api/v2/openapi.json", APP).exclude(
    path_regex="^/api/manage/"
)


@pytest.fixture(scope="module", autouse=True)
def seeded():
    with APP.app_context():
        seed_rich_page()
    yield
    with APP.app_context():
        db.drop_all()
        db.engine.dispose()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_conforms_to_its_openapi_description(case):
    # Schemathesis's WSGI transport asks for gzip like `requests` but does not decompress.
    case.call_and_validate(headers={"Accept-Encoding": "identity"})
