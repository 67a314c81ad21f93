"""Segments: a strictly validated JSON definition of who (nested AND/OR conditions over
skills, profile, communities, consent, engagement, events, applications, tags, pools),
compiled to one parameterised SQL query; saved segments drive dynamic pools."""
