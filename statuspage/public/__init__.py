"""The public blueprint: the page, incident and maintenance pages, history, feeds, subscribing."""

from statuspage.public import badges, feeds, problem_reports, subscriptions, views
from statuspage.public.blueprint import bp

__all__ = ["badges", "bp", "feeds", "problem_reports", "subscriptions", "views"]
