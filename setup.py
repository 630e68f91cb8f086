# Metadata lives in setup.cfg; this file lets `pip install --no-use-pep517 -e .`
# make the egg-link editable install that mim needs (see README).
from setuptools import setup

setup()
