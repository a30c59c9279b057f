"""The site: Markdown pages → a built static site (the engine layer, serve)."""
