"""Programs: process facts and identity, protection, who manages a program, the one place that signals."""
