"""Exploration in JupyterLab: the dashboard and each study's explorer, over the studies' own measures."""
