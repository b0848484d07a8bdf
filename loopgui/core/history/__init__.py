"""Socket-lifetime history: the store, its recorder (one writer) and readers."""
