"""Health-data protection (issue 16): erasure with tombstones, retention, access requests and
the access log. These services bypass `visible_leads`: only superadmins and the CLI reach them."""
