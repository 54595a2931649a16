"""The public blueprint: the page, incident and maintenance pages, history, feeds, subscribing."""

from statuspage.public import feeds, problem_reports, subscriptions, views
from statuspage.public.blueprint import bp

__all__ = ["bp", "feeds", "problem_reports", "subscriptions", "views"]
