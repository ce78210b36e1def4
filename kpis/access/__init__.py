"""Who may do what: roles and permissions, local accounts, disclosure control, the audit log."""
