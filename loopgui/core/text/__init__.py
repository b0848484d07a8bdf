"""Untrusted text: shown plain, quoted for a shell, secrets redacted."""
