"""The web chat on the business's own site: the widget and page (assets, static/), the visitor API (routes, input,
guard), and the channel that keeps replies until the page fetches them."""
