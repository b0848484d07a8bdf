"""What a pasted message is about: endpoints and error kinds, port knowledge, the diagnosis (facts)."""
