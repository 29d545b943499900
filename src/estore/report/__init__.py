"""`estore report`: one self-contained HTML file with the headline numbers and charts."""

from estore.report.html import Report, write_report

__all__ = ["Report", "write_report"]
