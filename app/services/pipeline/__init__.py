"""Stages (stages), deals and their moves between stages (deals), and the board with its totals (board).
Serves the pipeline, deals and admin blueprints. Calls: common.

Public to other domains: deals.create_deal, deals.move_deal, deals.StaleVersion, deals.stale_reasons, stages.stages."""
