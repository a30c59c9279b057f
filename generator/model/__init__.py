"""The model: the caseload and its policies as plain, immutable data.

What the reading stage produces and every later stage reads. It imports nothing
else of caseload's.
"""
