"""Browser end-to-end tests: the real app over HTTP, driven by Debian's Chromium (Playwright)."""
