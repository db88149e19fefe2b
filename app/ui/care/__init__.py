"""Care: today's care work, call-backs, campaigns, the knowledge base, and the background care run."""
