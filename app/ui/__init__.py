"""The Chainlit view layer: pure rendering helpers and thin adapters around Chainlit objects."""
