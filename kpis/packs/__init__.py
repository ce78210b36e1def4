"""Board packs and HWBB reports as PDF, PowerPoint and Excel."""
