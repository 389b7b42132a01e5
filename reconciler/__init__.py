"""scim-reconciler: users and groups as code for SCIM 2.0 servers."""

__version__ = "0.2.0"
