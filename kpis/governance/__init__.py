"""The partnership's year: meeting records (attendance, decisions and actions, escalations), the annual report
and the annual self-assessment."""
