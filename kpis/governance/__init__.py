"""The partnership's year: meeting records (attendance, decisions and actions, escalations) and the annual report."""
