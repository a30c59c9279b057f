"""The session statuses an import may write: the model's, and `clinician_cancelled`
(format version 2: the practice cancelled; never a no-show).

Kept here until the model lists it too; then this is the model's list unchanged.
"""

from __future__ import annotations

from generator.model.records import SESSION_STATUSES as _MODEL_STATUSES

SESSION_STATUSES: tuple[str, ...] = tuple(dict.fromkeys(
    (*_MODEL_STATUSES, "clinician_cancelled")))
