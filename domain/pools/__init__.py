"""Talent pools: named groups of people a recruiter works through stage by stage."""
