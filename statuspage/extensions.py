"""Extension instances, bound to an app in create_app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from statuspage.database import Base

db = SQLAlchemy(model_class=Base)
login_manager = LoginManager()
csrf = CSRFProtect()
cache = Cache()
limiter = Limiter(key_func=get_remote_address, default_limits=[], headers_enabled=True)

if TYPE_CHECKING:
    # db.Model is a class Flask-SQLAlchemy builds at run time from Base's declarative bases
    # plus its own mixins, which mypy cannot use as a base class. The models use nothing of
    # those mixins by name, so to the type checker they are plain declarative models of Base.
    Model = Base
else:
    Model = db.Model
