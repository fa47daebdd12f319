"""One module per command group; see tinytalk_cli.main.GROUPS."""
