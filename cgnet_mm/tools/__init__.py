"""Command-line tools: pure functions plus thin ``main`` CLIs, one module a
subcommand of ``cgnet-mm`` (and ``mim run cgnet_mm <tool>``)."""
