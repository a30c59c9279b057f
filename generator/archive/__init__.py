"""The archive: dated snapshots, their verification, and changes between them."""
