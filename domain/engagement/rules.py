"""Engagement event types and how they read on a timeline."""

LABELS: dict[str, str] = {
    "community_join_requested": "Asked to join a community",
    "community_joined": "Joined a community",
    "community_left": "Left a community",
    "email_sent": "Email sent",
    "email_opened": "Opened an email",
    "email_clicked": "Clicked a link in an email",
    # Hits by privacy proxies and link scanners: shown, but not weighed in the score.
    "email_opened_automatically": "Email opened by a privacy proxy or scanner",
    "email_clicked_automatically": "Email link followed by a link scanner",
    "email_bounced": "An email bounced",
    "email_complained": "Marked an email as spam",
    "event_registered": "Registered for an event",
    "event_attended": "Attended an event",
    "event_cancelled": "Cancelled an event registration",
    "event_waitlisted": "Joined an event waitlist",
    "event_offered": "Offered a freed event seat",
    "event_no_show": "Did not attend an event",
    "content_viewed": "Viewed content",
    "content_downloaded": "Downloaded content",
    "page_visit": "Visited the careers site",
    "applied": "Applied to a job",
    "application_submitted": "Applied to a job on the careers site",
    "application_stage_changed": "Application moved to another stage",
    "application_rejected": "Application rejected",
    "application_withdrawn": "Application withdrawn",
    "application_hired": "Hired",
    "silver_medalist": "Marked a silver medalist",
    "pool_added": "Added to a talent pool",
    "interview_scheduled": "Interview scheduled",
    "interview_cancelled": "Interview cancelled",
    "offer_sent": "Offer sent",
    "offer_accepted": "Offer accepted",
    "offer_declined": "Offer declined",
    "replied": "Replied to an email",
    "unsubscribed": "Unsubscribed from emails",
    "sequence_enrolled": "Enrolled in a nurture sequence",
    "sequence_completed": "Finished a nurture sequence",
    "sequence_exited": "Left a nurture sequence",
    "profile_updated": "Updated their profile",
    "cv_uploaded": "Uploaded a CV",
}


def label(event_type: str) -> str:
    return LABELS.get(event_type, event_type.replace("_", " ").capitalize())
