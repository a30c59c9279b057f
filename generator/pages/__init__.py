"""Pages: the report as Markdown pages (Jinja templates), charts included."""
