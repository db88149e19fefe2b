"""Read-only views of what happened: sales history and the member card, a member's history,
statements, the end-of-day report and their PDFs. Rule: reads only, never writes; imports care/ and below."""
