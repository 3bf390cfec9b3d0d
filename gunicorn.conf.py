"""Gunicorn settings of `make serve`."""
import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WORKERS", max(2, multiprocessing.cpu_count())))
raw_env = ["RESTRAINT_ENV=production"]
accesslog = "-"
