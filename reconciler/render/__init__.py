"""Functions from plans and reports to text. Nothing else in the package prints."""
