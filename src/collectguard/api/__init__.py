"""The HTTP gateway: FastAPI over the gate service, scoped per institution and role."""
