"""Integrations: API tokens for the REST API and signed outgoing webhooks."""
