"""The demo page, `/ui`: page.py (the views, on the API's own routes), charts.py (the SVG
geometry), templates/ and static/."""
