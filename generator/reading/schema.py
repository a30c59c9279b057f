"""The words of the caseload format that both readers share.

`exact.py` reads a file exactly, with every error and line; `fast.py` only
accepts plainly valid files, faster. Both must mean the same thing by a key, a
date or a null, so that vocabulary lives here, once.
"""

from __future__ import annotations

import re

INT_PATTERN = re.compile(r"[+-]?[0-9]+")
# Plain (unquoted) scalars that mean "no value"; quoted, they are text.
NULLS = frozenset({"", "~", "null", "Null", "NULL"})

CLIENT_KEYS = (
    "id", "name", "intake_date", "payer", "clinician",
    "sessions", "treatment_plans", "contacts", "discharge",
)
SESSION_KEYS = ("date", "status", "note")
PLAN_KEYS = ("date", "goals", "note")
CONTACT_KEYS = ("date", "method", "outcome", "note")
DISCHARGE_KEYS = ("date", "planned_on", "reason", "summary", "client_participated")
