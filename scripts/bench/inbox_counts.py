#!/usr/bin/env python3
"""Prints `ROWS HANDLED QUEUED` of a server's SQLite file (scripts/bench/pipeline.sh):
rows in the callback inbox, those the worker has processed (or given up on), and app
messages the outbox has not sent yet. Usage: inbox_counts.py DB_FILE"""
import sqlite3
import sys

db = sqlite3.connect(sys.argv[1], timeout=30)
rows, done = db.execute(
    "SELECT COUNT(*), COUNT(processed_at) + COUNT(failed_at) FROM callback_inbox").fetchone()
queued = db.execute("SELECT COUNT(*) FROM outbox WHERE status = 'queued'").fetchone()[0]
print(rows, done, queued)
