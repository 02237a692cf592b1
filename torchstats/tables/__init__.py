"""Tables as statsmodels renders them: cells, formats, parameter blocks and the summary
document (text, HTML, LaTeX). No statistics here: the layouts of the model summaries are
in :mod:`torchstats.summary`."""
