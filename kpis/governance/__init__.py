"""The partnership governing itself: meetings, the annual report and the annual self-assessment."""
