"""The web layer: Flask app factory, portal, curator pages, JSON API, PaNOSC API."""
