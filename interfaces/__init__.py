"""The edge: settings, the HTTP app, the CLI. The only place that wires the layers together."""
