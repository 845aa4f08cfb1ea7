"""maskloop ui_adapters layer: the review UI behind ReviewUI (review_ui.py), today Label Studio:
tasks from masklets (task_builder.py, label_config.py), annotations back to reviews
(annotation_parser.py, brush_rle.py) and webhooks. It never imports model/, storage/ or flows/.
"""
