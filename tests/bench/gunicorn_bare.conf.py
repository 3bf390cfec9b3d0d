"""gunicorn settings of the benchmark's servers: none but their command line's (without a file
of its own, gunicorn reads the project's gunicorn.conf.py)."""
