"""Command-line interface: thin layers over the library, one module per sub-command."""
