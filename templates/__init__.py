"""The built-in templates of caseload.

This folder ships inside the installed package as `generator.templates`; a
workspace's own templates/ folder overrides any file here by name.
"""
