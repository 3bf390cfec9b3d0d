"""Gunicorn settings of `make serve`."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", max(2, multiprocessing.cpu_count())))
#: Threads per worker (gthread when more than one); each request thread holds at most one
#: database connection, so the pool is sized to match unless DATABASE_POOL_SIZE says otherwise.
threads = int(os.environ.get("THREADS", 1))
raw_env = ["RESTRAINT_ENV=production",
           f"DATABASE_POOL_SIZE={os.environ.get('DATABASE_POOL_SIZE', threads)}"]
accesslog = "-"
