"""Importing: practice-management exports → session ledgers and new client files.

A stage beside reading: it takes an export (CSV, .xlsx or a FHIR bundle), a
profile that says what the export's columns mean, and the caseload as the
reader loaded it (for the clients, their names and the practice's clinicians),
and works out the files to write (`plan_import`), which the command line then
prints and writes (`write_files`). It never changes a client file it did not
make.
"""

from __future__ import annotations

from generator.importing.ledger import LEDGER_DIR
from generator.importing.plan import CLIENTS_DIR, ImportPlan, ProgressFactory, plan_import
from generator.importing.problems import ImportInvalid
from generator.importing.profile import BUILT_IN, Profile, ProfileInvalid, load_profile
from generator.importing.write import WorkspaceBusy, WriteFailed, import_lock, write_files

# The folders an import writes to.
IMPORT_FOLDERS = (CLIENTS_DIR, LEDGER_DIR)

__all__ = [
    "BUILT_IN",
    "IMPORT_FOLDERS",
    "ImportInvalid",
    "ImportPlan",
    "Profile",
    "ProfileInvalid",
    "ProgressFactory",
    "WorkspaceBusy",
    "WriteFailed",
    "import_lock",
    "load_profile",
    "plan_import",
    "write_files",
]
