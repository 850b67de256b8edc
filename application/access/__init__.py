"""Who may do what: authenticated principals, the permission policy, and the token registry."""
