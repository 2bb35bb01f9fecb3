"""CollectGuard (催收合规网关): lawful consumer-credit collection by construction."""

__version__ = "0.1.0"
