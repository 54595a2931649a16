"""Reports for staff: incident statistics, monthly uptime, and the SVG charts of both
(docs/reports.md defines every figure)."""
