"""The data engine's loop, one file per step, in the order a round runs them:

1. ``ingest.py``: videos -> sampled frames in the object store, videos in the catalog;
2. ``create_round.py``: choose the videos not annotated yet and the champion model;
3. ``generate_flow.py``: automatic masklets of one video (a flow run on the ``gpu`` pool);
4. ``review.py`` (open, sync, close the review project), ``review_sync_flow.py`` (webhook and
   schedule), ``verdicts.py`` (one verdict recorded); or the simulated reviewer:
   ``reviewer_oracle.py`` with ``oracle_answers.py`` and ``click_corrections.py``;
5. ``refine.py``: corrected masklets re-propagated from their corrected frames (``propagation.py``);
6. ``close_round.py``;
7. ``commit_version.py``: accepted masklets -> an immutable dataset version;
8. ``retrain_flow.py`` (``auto_retrain.py``, ``retrain_check_flow.py``: when enough new work exists);
9. ``evaluate.py`` and ``evaluate_flow.py``, ``champion.py``: the candidate against the champion
   on the frozen held-out split; promotion by the margin.

``annotation_round.py`` composes a round from them; ``config.py`` holds its knobs, ``workspace.py``
the catalog and store a step works on, ``media.py`` frames and masklet blobs, ``round_report.py``
a round's figures.
"""
