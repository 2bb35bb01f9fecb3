"""What the console's pages read: queries over the store, no HTTP (one module per page)."""
