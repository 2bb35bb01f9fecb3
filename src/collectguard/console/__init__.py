"""合规控制台 The web console: server-rendered pages for compliance officers, agency managers and auditors."""
