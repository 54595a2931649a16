"""The baseline of the read-side benchmark: the smallest Flask answer, under the same gunicorn."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
