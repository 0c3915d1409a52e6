"""`picscore serve`: the HTTP API and web page (FastAPI app, upload area, render queue, static page)."""
