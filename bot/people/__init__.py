"""Who is who: organisations, people, invites, caseloads and her coach, and the access log."""
