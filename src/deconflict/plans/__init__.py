"""Strategic deconfliction: 4D plans, the conflict rule and notices (``docs/plans.md``)."""
