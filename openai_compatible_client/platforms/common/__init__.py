"""Endpoints several platforms serve in the same shape: the Responses API and Anthropic Messages."""
