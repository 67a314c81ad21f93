"""Campaigns and nurture: marketing email templates, campaigns to an audience, sequences."""
