"""Reporting's HTTP edge: the indicators as JSON, CSV and XLSX (``indicators``), and the
dashboard and what-if pages (``pages``). Routes parse, call a report, answer."""

from services.reporting.api.indicators import router as indicators_router
from services.reporting.api.pages import router as pages_router

ROUTERS = (indicators_router, pages_router)
