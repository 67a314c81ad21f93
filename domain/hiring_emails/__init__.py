"""Hiring email templates and the automation that sends them: stage entry, rejection per
reason, bulk emails from the pipeline."""
