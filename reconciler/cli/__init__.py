"""The ``scimctl`` command line: one thin module per command."""
