"""One module per console page: its routes (the HTTP layer), reading through `console.reads` and domain services."""
