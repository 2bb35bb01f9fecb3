"""The contact gate: decide, lease, settle, and the events that change what it decides."""
