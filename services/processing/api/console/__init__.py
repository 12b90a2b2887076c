"""The officer console: server-rendered pages at /console (Jinja2 templates in
services/processing/templates/console, htmx and CSS in services/processing/static/console).
Every flow is plain forms and links; htmx only refreshes the queue. See docs/console.md."""

from services.processing.api.console.pages import router

__all__ = ["router"]
