"""The customer widget: widget tokens minted for a host site's backend, and the demo host page."""
