"""Admin: distributors and users (written by the accounts-admin work)."""
