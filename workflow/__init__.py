"""The domain core: pathway, gates, services, permissions and the audit chain (no Flask here)."""
