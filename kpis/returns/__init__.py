"""Quarterly returns: reading a lead's file, its layout, the rules, the check, templates, submission."""
