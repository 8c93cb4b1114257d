"""The line: parties, their keys, agreements between them, the audit chain, and the rules
of what each party may see and do (no HTTP here: ``service`` calls this)."""
