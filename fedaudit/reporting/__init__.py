"""The report stage: what an audit shows people and machines.

* :mod:`fedaudit.reporting.render` - :func:`fedaudit.report`: run the template, write HTML and the evidence
* :mod:`fedaudit.reporting.context` - the data of one report run (the template's first cell)
* :mod:`fedaudit.reporting.sections` - the report's sections as HTML fragments
* :mod:`fedaudit.reporting.plots` - matplotlib figures of an audit
* :mod:`fedaudit.reporting.siem` - findings as JSON Lines and OCSF for machines
* ``templates/`` - the report notebook and its nbconvert template
"""

from __future__ import annotations

from fedaudit.reporting.render import FAIL_ON, TEMPLATE, ReportResult, execute_template, render_html, report

__all__ = ["FAIL_ON", "TEMPLATE", "ReportResult", "execute_template", "render_html", "report"]
