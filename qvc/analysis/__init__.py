"""Numbers from records: growth laws (:mod:`~qvc.analysis.laws`), cost curves across a sweep
(:mod:`~qvc.analysis.scaling`), the hardware series evaluated per size (:mod:`~qvc.analysis.hwseries`),
the break-even search (:mod:`~qvc.analysis.breakeven`) and the
statistics of a run's seeds (:mod:`~qvc.analysis.stats`).

It reads result tables (:mod:`qvc.record`) and writes nothing; reports put its numbers into
words and figures (``docs/ARCHITECTURE.md``).
"""
