"""The interactive view of the model (Mesa SolaraViz): ``solara run app/app.py`` after ``pip install .[app]``."""
