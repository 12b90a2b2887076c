"""Reporting: the QĐ 766 indicators, satisfaction and what-if, built only from the event log."""
