"""Pictures of rounds: plots (plots.py), overlay contact sheets (contact_sheet.py) and the round's
HTML report (html_report.py), from the figures of flows.cycle.round_report."""
