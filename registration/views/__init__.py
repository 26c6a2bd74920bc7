"""The clerk's pages, one module per area; registration/urls.py routes to them."""
