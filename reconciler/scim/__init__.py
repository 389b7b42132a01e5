"""Everything that speaks HTTP to SCIM servers: ``client.ScimClient`` and its parts."""
