"""The web dashboard: a JSON API (``escwatch.web.app.create_app``) and the pages served with it."""
