"""Translation tooling: extracting the catalog template, the review spreadsheet round trip."""
